"""Small SQL helpers every area's repository uses: whole-row inserts and updates, lookups
within an account, address lists, time windows, and rows every area turns into records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity.records import Account
from frontdesk.core.shared.errors import Conflict
from frontdesk.core.shared.paging import Window
from frontdesk.core.tickets.records import OPEN_STATUSES
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t


def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> Any:
    """Insert one row and return it whole; a unique clash becomes a Conflict."""
    try:
        if hot_queries.plain(values):
            return conn.execute(hot_queries.insert_returning(table), dict(values)).one()
        return conn.execute(insert(table).values(**values).returning(table)).one()
    except IntegrityError as exc:
        raise Conflict("already_exists", f"A {table.name[:-1]} with these values exists") from exc


def upsert(conn: Connection) -> Any:
    """The backend's INSERT with ON CONFLICT: a row another writer inserted first (and
    perhaps has not committed yet) is waited for and skipped, never a unique clash."""
    return upsert_for(conn.dialect.name)


def upsert_for(dialect: str) -> Any:
    return sqlite_insert if dialect == "sqlite" else pg_insert


def update_row(conn: Connection, table: Table, row_id: int, changes: Mapping[str, Any]) -> Any:
    """Update one row by id and return it whole; a unique clash becomes a Conflict."""
    try:
        if changes and hot_queries.plain(changes):
            params = {**changes, hot_queries.ROW_ID: row_id}
            return conn.execute(hot_queries.update_returning(table), params).one()
        return conn.execute(
            update(table).where(table.c.id == row_id).values(**changes).returning(table)
        ).one()
    except IntegrityError as exc:
        raise Conflict("already_exists", f"A {table.name[:-1]} with these values exists") from exc


def one_in_account(conn: Connection, table: Table, account_id: int, row_id: int) -> Any:
    """The row with this id if it belongs to the account, else None."""
    params = {hot_queries.ROW_ID: row_id, "account_id": account_id}
    return conn.execute(hot_queries.one_in_account(table), params).one_or_none()


def ids_by_uuid(conn: Connection, table: Table, account_id: int, uuids: Sequence[str]) -> list[int]:
    if not uuids:
        return []
    return list(
        conn.execute(
            select(table.c.id).where(table.c.account_id == account_id, table.c.uuid.in_(uuids))
        ).scalars()
    )


def locks_rows(conn: Connection) -> bool:
    """Whether `SELECT ... FOR UPDATE` means anything: SQLite's writers already queue on
    BEGIN IMMEDIATE, and it has no row locks."""
    return conn.dialect.name == "postgresql"


def within(column: Any, window: Window) -> list[ColumnElement[bool]]:
    """A column's bounds from a window: none, one or both ends (inclusive)."""
    conditions: list[ColumnElement[bool]] = []
    if window.start is not None:
        conditions.append(column >= window.start)
    if window.end is not None:
        conditions.append(column <= window.end)
    return conditions


def by_team() -> ColumnElement[bool]:
    """A message the team wrote: an agent's, or one with neither agent nor contact (a
    rule's or macro's reply), as core.automation.service_levels counts replies."""
    ms = t.messages
    return or_(ms.c.agent_id.is_not(None), ms.c.contact_id.is_(None))


def open_ticket_ids(conn: Connection, account_id: int, after_id: int, limit: int) -> list[int]:
    """The account's open, unarchived, unmerged tickets in id order, after `after_id` (the
    batches the time rules' sweep and an SLA policy change walk)."""
    tk = t.tickets
    rows = conn.execute(
        select(tk.c.id)
        .where(
            tk.c.account_id == account_id,
            tk.c.status.in_(sorted(status.value for status in OPEN_STATUSES)),
            tk.c.id > after_id,
            tk.c.archived_at.is_(None),
            tk.c.merged_into_id.is_(None),
        )
        .order_by(tk.c.id)
        .limit(limit)
    )
    return [int(ticket_id) for ticket_id in rows.scalars()]


def join_lines(values: Iterable[str]) -> str:
    """Address lists are stored one per line."""
    return "\n".join(values)


def split_lines(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split("\n") if part)


def account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        public_id=row.public_id,
        created=row.created,
        require_two_factor=bool(row.require_two_factor),
        time_zone=row.time_zone,
        language=row.language,
        logo_blob=row.logo_blob,
        logo_type=row.logo_type,
    )


def contact_from_row(row: Any) -> Contact:
    return Contact(
        id=row.id,
        account_id=row.account_id,
        email=row.email,
        name=row.name,
        phone=row.phone,
        company=row.company,
        external_id=row.external_id,
        created=row.created,
    )
