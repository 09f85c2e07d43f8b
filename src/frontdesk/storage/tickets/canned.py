"""The account's canned responses (core.tickets.canned)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select

from frontdesk.core.tickets.records import CannedResponse
from frontdesk.storage import tables as t
from frontdesk.storage._sql import insert_row, one_in_account, update_row


def canned_from_row(row: Any) -> CannedResponse:
    return CannedResponse(
        id=row.id,
        account_id=row.account_id,
        shortcut=row.shortcut,
        body=row.body,
        created=row.created,
        updated=row.updated,
    )


class SqlCanned:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_canned(self, values: Mapping[str, Any]) -> CannedResponse:
        return canned_from_row(insert_row(self.conn, t.canned_responses, values))

    def get_canned(self, account_id: int, canned_id: int) -> CannedResponse | None:
        row = one_in_account(self.conn, t.canned_responses, account_id, canned_id)
        return canned_from_row(row) if row else None

    def update_canned(self, canned_id: int, changes: Mapping[str, Any]) -> CannedResponse:
        return canned_from_row(update_row(self.conn, t.canned_responses, canned_id, changes))

    def delete_canned(self, canned_id: int) -> None:
        table = t.canned_responses
        self.conn.execute(delete(table).where(table.c.id == canned_id))

    def list_canned(self, account_id: int, search: str, *, limit: int) -> list[CannedResponse]:
        table = t.canned_responses
        query = select(table).where(table.c.account_id == account_id)
        if search:
            # autoescape: % and _ in what the agent typed are plain characters.
            query = query.where(
                or_(
                    table.c.shortcut.contains(search, autoescape=True),
                    func.lower(table.c.body).contains(search, autoescape=True),
                )
            )
        rows = self.conn.execute(query.order_by(table.c.shortcut).limit(limit)).all()
        return [canned_from_row(row) for row in rows]
