"""Contacts (core.contacts' port)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    or_,
    select,
)

from frontdesk.core.contacts.records import Contact
from frontdesk.storage import tables as t
from frontdesk.storage._sql import contact_from_row, one_in_account, update_row, upsert_for


class SqlContacts:
    """An account's contacts, by id and by address."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_contact(self, values: Mapping[str, Any]) -> Contact | None:
        """The new contact, or None when the address exists (perhaps since a moment ago,
        from a concurrent writer: the INSERT waits for it rather than clashing with it)."""
        row = self.conn.execute(_new_contact(self.conn.dialect.name), dict(values)).one_or_none()
        return contact_from_row(row) if row else None

    def update_contact(self, contact_id: int, changes: Mapping[str, Any]) -> Contact:
        return contact_from_row(update_row(self.conn, t.contacts, contact_id, changes))

    def get_contact(self, account_id: int, contact_id: int) -> Contact | None:
        row = one_in_account(self.conn, t.contacts, account_id, contact_id)
        return contact_from_row(row) if row else None

    def get_contacts(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]:
        if not contact_ids:
            return {}
        rows = self.conn.execute(
            select(t.contacts).where(
                t.contacts.c.account_id == account_id, t.contacts.c.id.in_(contact_ids)
            )
        ).all()
        return {row.id: contact_from_row(row) for row in rows}

    def find_contact_by_email(self, account_id: int, email: str) -> Contact | None:
        # Two contacts may differ only in the case of their local part: the oldest answers.
        row = self.conn.execute(
            select(t.contacts)
            .where(
                t.contacts.c.account_id == account_id,
                func.lower(t.contacts.c.email) == email.lower(),
            )
            .order_by(t.contacts.c.id)
            .limit(1)
        ).first()
        return contact_from_row(row) if row else None

    def list_contacts(self, account_id: int, *, after_id: int, limit: int) -> list[Contact]:
        rows = self.conn.execute(
            select(t.contacts)
            .where(t.contacts.c.account_id == account_id, t.contacts.c.id > after_id)
            .order_by(t.contacts.c.id)
            .limit(limit)
        ).all()
        return [contact_from_row(row) for row in rows]

    def search_contacts(
        self, account_id: int, text: str, *, after_id: int, limit: int
    ) -> list[Contact]:
        """Contacts whose address, name or company contains `text`, any case, by id.

        A scan of the account's contacts (no index serves "contains"), bounded by `limit`
        matches: an admin's search box, not a hot path.
        """
        table = t.contacts
        pattern = "%" + _escaped(text.lower()) + "%"
        matches = [
            func.lower(column).like(pattern, escape="\\")
            for column in (table.c.email, table.c.name, table.c.company)
        ]
        rows = self.conn.execute(
            select(table)
            .where(table.c.account_id == account_id, table.c.id > after_id, or_(*matches))
            .order_by(table.c.id)
            .limit(limit)
        ).all()
        return [contact_from_row(row) for row in rows]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@cache
def _new_contact(dialect: str) -> Any:
    """Built once per backend (it is on every create's path); the values are parameters."""
    return (
        upsert_for(dialect)(t.contacts)
        .on_conflict_do_nothing(index_elements=[t.contacts.c.account_id, t.contacts.c.email])
        .returning(t.contacts)
    )
