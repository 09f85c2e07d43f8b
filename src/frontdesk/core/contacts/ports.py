"""What the contacts area needs from storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.contacts.records import Contact
from frontdesk.core.shared.ports import EventsUnit


class ContactRepo(Protocol):
    def insert_contact(self, values: Mapping[str, Any]) -> Contact | None:
        """None when the account has a contact with this address already."""
        ...

    def update_contact(self, contact_id: int, changes: Mapping[str, Any]) -> Contact: ...

    def get_contact(self, account_id: int, contact_id: int) -> Contact | None: ...

    def get_contacts(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]: ...

    def find_contact_by_email(self, account_id: int, email: str) -> Contact | None: ...

    def list_contacts(self, account_id: int, *, after_id: int, limit: int) -> list[Contact]: ...

    def search_contacts(
        self, account_id: int, text: str, *, after_id: int, limit: int
    ) -> list[Contact]: ...


class ContactsUnit(EventsUnit, Protocol):
    @property
    def contacts(self) -> ContactRepo: ...
