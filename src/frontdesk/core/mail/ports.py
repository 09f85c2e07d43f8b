"""What the mail area needs from storage: threading lookups, receipts, the outbox, IMAP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.mail.records import (
    CustomerMail,
    ImapSettings,
    InboxRelay,
    MailReceipt,
    OAuthGrant,
    OutboxMail,
)
from frontdesk.core.tickets.ports import TicketsUnit


class MailRepo(Protocol):
    # threading
    def ticket_by_email_message_ids(self, account_id: int, ids: Sequence[str]) -> int | None: ...

    def ticket_id_by_number(self, account_id: int, number: int) -> int | None: ...

    def email_message_ids_of(self, ticket_id: int, limit: int) -> list[str]: ...

    def customer_email_message_id(self, ticket_id: int) -> str | None: ...

    def latest_customer_mail(self, ticket_id: int) -> CustomerMail | None: ...

    def set_message_mail(
        self,
        message_id: int,
        *,
        email_message_id: str,
        to: Sequence[str],
        cc: Sequence[str],
        sender: tuple[str, str | None],
    ) -> None:
        """Record on the message what its mail carries: Message-ID, recipients, and the
        sender (address, name) it leaves as."""
        ...

    # receipts
    def insert_receipt(self, values: Mapping[str, Any]) -> int | None:
        """Insert unless the account already has a receipt with that mail_key (None then)."""
        ...

    def update_receipt(self, receipt_id: int, changes: Mapping[str, Any]) -> None: ...

    def get_receipt(self, account_id: int, receipt_id: int) -> MailReceipt | None: ...

    def list_receipts(
        self, account_id: int, status: str | None, *, after_id: int, limit: int
    ) -> list[MailReceipt]: ...

    # outbox
    def queue_mail(self, values: Mapping[str, Any]) -> int | None:
        """Insert an outbox row; None, and nothing written, when its dedupe key exists."""
        ...

    def recent_mail(
        self, account_id: int, to_addr: str, kind: str, since: int
    ) -> tuple[int, int | None]:
        """How many mails of `kind` went to `to_addr` since then, and when the latest did."""
        ...

    def claim_outbox(self, now: int, limit: int, lease_ms: int) -> list[OutboxMail]: ...

    def renew_outbox(self, outbox_id: int, attempts: int, until: int) -> bool: ...

    def finish_outbox(self, outbox_id: int, attempts: int, changes: Mapping[str, Any]) -> bool: ...

    def get_outbox(self, account_id: int, outbox_id: int) -> OutboxMail | None: ...

    def outbox_by_email_message_ids(
        self, account_id: int, ids: Sequence[str]
    ) -> OutboxMail | None: ...

    def update_outbox(self, outbox_id: int, changes: Mapping[str, Any]) -> None:
        """Change a row whatever its state (a bounce for a mail already sent)."""
        ...

    def list_outbox(
        self, account_id: int, *, ticket_id: int | None, status: str | None, limit: int
    ) -> list[OutboxMail]: ...

    def sender_outbox(
        self, account_id: int, from_addr: str, statuses: Sequence[str], limit: int
    ) -> list[OutboxMail]:
        """Mail from one address in these states, newest first."""
        ...

    def count_sender_outbox(
        self, account_id: int, from_addr: str, statuses: Sequence[str]
    ) -> int: ...

    def last_sent(self, account_id: int, from_addr: str) -> int | None:
        """When the relay last took a mail from this address."""
        ...

    def requeue_failed(self, outbox_id: int, now: int) -> bool:
        """A failed row back in the queue, due now, with fresh attempts; False if it was
        not failed (any more)."""
        ...

    # IMAP
    def put_imap(self, values: Mapping[str, Any]) -> ImapSettings: ...

    def get_imap(self, account_id: int, inbox_id: int) -> ImapSettings | None: ...

    def delete_imap(self, inbox_id: int) -> None: ...

    def list_enabled_imap(self) -> list[ImapSettings]: ...

    def update_imap(self, inbox_id: int, changes: Mapping[str, Any]) -> None: ...

    # OAuth grants and an inbox's own relay
    def put_oauth(self, values: Mapping[str, Any]) -> OAuthGrant: ...

    def get_oauth(self, inbox_id: int) -> OAuthGrant | None: ...

    def update_oauth(self, inbox_id: int, changes: Mapping[str, Any]) -> None: ...

    def delete_oauth(self, inbox_id: int) -> None: ...

    def put_relay(self, values: Mapping[str, Any]) -> InboxRelay: ...

    def get_relay(self, inbox_id: int) -> InboxRelay | None: ...

    def delete_relay(self, inbox_id: int) -> None: ...


class MailUnit(TicketsUnit, Protocol):
    @property
    def mail(self) -> MailRepo: ...
