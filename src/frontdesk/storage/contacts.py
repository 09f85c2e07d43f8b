"""Contacts (core.contacts' port)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
)

from frontdesk.core.contacts.records import Contact
from frontdesk.storage import tables as t
from frontdesk.storage._sql import contact_from_row, insert_row, one_in_account, update_row


class SqlContacts:
    """An account's contacts, by id and by address."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_contact(self, values: Mapping[str, Any]) -> Contact:
        return contact_from_row(insert_row(self.conn, t.contacts, values))

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
        row = self.conn.execute(
            select(t.contacts).where(
                t.contacts.c.account_id == account_id,
                func.lower(t.contacts.c.email) == email.lower(),
            )
        ).one_or_none()
        return contact_from_row(row) if row else None

    def list_contacts(self, account_id: int, *, after_id: int, limit: int) -> list[Contact]:
        rows = self.conn.execute(
            select(t.contacts)
            .where(t.contacts.c.account_id == account_id, t.contacts.c.id > after_id)
            .order_by(t.contacts.c.id)
            .limit(limit)
        ).all()
        return [contact_from_row(row) for row in rows]
