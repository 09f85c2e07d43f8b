"""What the people area needs from storage: the rows that name one contact, everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.mail.ports import MailUnit


class PeopleRepo(Protocol):
    def requested_ticket_ids(
        self, account_id: int, contact_id: int, *, after_id: int = 0, limit: int | None = None
    ) -> list[int]:
        """The tickets the contact requested, in id order."""
        ...

    def conversation_ids(self, account_id: int, contact_id: int) -> list[int]: ...

    def messages_naming(
        self, account_id: int, contact_id: int, email: str
    ) -> list[tuple[int, int]]:
        """(ticket, message) of their messages, and those to them, on others' tickets."""
        ...

    def mail_from(self, account_id: int, email: str) -> list[int]:
        """The receipts of the mail the address sent, in id order."""
        ...

    def move_contact(self, account_id: int, source_id: int, target_id: int) -> None:
        """Every row naming the source names the target instead."""
        ...

    def link_conversation(self, conversation_id: int, contact_id: int | None) -> None: ...

    def delete_contact(self, contact_id: int) -> None: ...

    def anonymise_tickets(self, ticket_ids: Sequence[int], placeholder: str) -> list[str]:
        """Every text of the tickets replaced or removed; the stored names of their files."""
        ...

    def forget_ticket_events(self, ticket_ids: Sequence[int]) -> None: ...

    def delete_conversations(self, conversation_ids: Sequence[int]) -> None: ...

    def scrub_address(
        self, account_id: int, contact_id: int, email: str, placeholder: str
    ) -> list[str]:
        """Rows beyond the contact's tickets that name them; the raw mails' stored names."""
        ...

    def forget_search(self) -> None: ...


class PeopleUnit(ChatUnit, MailUnit, Protocol):
    @property
    def people(self) -> PeopleRepo: ...
