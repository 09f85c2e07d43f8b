"""Attachments: uploaded files and the messages they belong to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    select,
    update,
)

from frontdesk.core.tickets.records import (
    Attachment,
)
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage._sql import ids_by_uuid, insert_row, one_in_account
from frontdesk.storage.tickets.removal import names_in_use
from frontdesk.storage.tickets.rows import attachment_from_row


class SqlAttachments:
    """Attachment rows; the bytes are in the blob store."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_attachment(self, values: Mapping[str, Any]) -> Attachment:
        return attachment_from_row(insert_row(self.conn, t.attachments, values))

    def get_attachment(self, account_id: int, attachment_id: int) -> Attachment | None:
        row = one_in_account(self.conn, t.attachments, account_id, attachment_id)
        return attachment_from_row(row) if row else None

    def get_attachments(self, account_id: int, attachment_ids: Sequence[int]) -> list[Attachment]:
        if not attachment_ids:
            return []
        rows = self.conn.execute(
            select(t.attachments).where(
                t.attachments.c.account_id == account_id, t.attachments.c.id.in_(attachment_ids)
            )
        ).all()
        return [attachment_from_row(row) for row in rows]

    def attachments_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Attachment]:
        ids = ids_by_uuid(self.conn, t.attachments, account_id, uuids)
        return self.get_attachments(account_id, ids)

    def couple_attachments(
        self, attachment_ids: Sequence[int], ticket_id: int, message_id: int
    ) -> None:
        self.conn.execute(
            update(t.attachments)
            .where(t.attachments.c.id.in_(attachment_ids), t.attachments.c.message_id.is_(None))
            .values(ticket_id=ticket_id, message_id=message_id)
        )

    def attachments_of_messages(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        if not message_ids:
            return {}
        found: dict[int, list[Attachment]] = defaultdict(list)
        params = {"message_ids": list(message_ids)}
        for row in self.conn.execute(hot_queries.ATTACHMENTS, params):
            found[row.message_id].append(attachment_from_row(row))
        return found

    def delete_attachment(self, attachment_id: int) -> None:
        self.conn.execute(
            delete(t.attachments).where(
                and_(t.attachments.c.id == attachment_id, t.attachments.c.message_id.is_(None))
            )
        )

    def blob_in_use(self, sha256: str) -> bool:
        row = self.conn.execute(
            select(t.attachments.c.id).where(t.attachments.c.sha256 == sha256).limit(1)
        ).first()
        return row is not None

    def names_in_use(self, names: Sequence[str]) -> set[str]:
        return names_in_use(self.conn, names)
