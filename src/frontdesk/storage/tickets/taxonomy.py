"""Categories, departments and custom field definitions."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    Connection,
    Table,
    delete,
    func,
    select,
)

from frontdesk.core.tickets.records import (
    Named,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import one_in_account, upsert
from frontdesk.storage.tickets.rows import named_from_row

NAMED_TABLES: Mapping[str, Table] = {
    "category": t.categories,
    "department": t.departments,
    "custom_field": t.custom_fields,
}


class SqlTaxonomy:
    """Names within an account, one table per kind."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_named(self, kind: str, account_id: int, name: str, now: int) -> Named | None:
        table = NAMED_TABLES[kind]
        row = self.conn.execute(
            upsert(self.conn)(table)
            .values(account_id=account_id, name=name, created=now)
            .on_conflict_do_nothing(index_elements=[table.c.account_id, table.c.name])
            .returning(table)
        ).one_or_none()
        return named_from_row(row) if row else None

    def list_named(self, kind: str, account_id: int) -> list[Named]:
        table = NAMED_TABLES[kind]
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id).order_by(table.c.name)
        ).all()
        return [named_from_row(row) for row in rows]

    def get_named(self, kind: str, account_id: int, row_id: int) -> Named | None:
        row = one_in_account(self.conn, NAMED_TABLES[kind], account_id, row_id)
        return named_from_row(row) if row else None

    def find_named(self, kind: str, account_id: int, name: str) -> Named | None:
        table = NAMED_TABLES[kind]
        row = self.conn.execute(
            select(table).where(
                table.c.account_id == account_id, func.lower(table.c.name) == name.lower()
            )
        ).first()
        return named_from_row(row) if row else None

    def named_in_use(self, kind: str, row_id: int) -> bool:
        column = {
            "category": t.tickets.c.category_id,
            "department": t.tickets.c.department_id,
            "custom_field": t.ticket_fields.c.field_id,
        }[kind]
        return (
            self.conn.execute(select(column).where(column == row_id).limit(1)).first() is not None
        )

    def delete_named(self, kind: str, row_id: int) -> None:
        table = NAMED_TABLES[kind]
        self.conn.execute(delete(table).where(table.c.id == row_id))
