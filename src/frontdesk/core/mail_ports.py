"""Records and storage port of the e-mail channel: receipts, outgoing mail, IMAP settings.

Kept apart from ports.py so that the mail channel's reads and writes sit together;
`Repo` includes `MailQueries`, and storage/mail_queries.py implements it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

RECEIVED = "delivered"
QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class MailReceipt:
    """One inbound mail: where it came from, what became of it, where its raw bytes are."""

    id: int
    account_id: int
    inbox_id: int | None
    source: str  # smtp | imap | import
    status: str  # delivered | quarantined
    email_message_id: str | None
    envelope_from: str | None
    recipients: tuple[str, ...]
    from_addr: str | None
    subject: str
    raw_sha256: str
    size: int
    ticket_id: int | None
    message_id: int | None
    error: str | None
    created: int


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """One outgoing mail as queued: recipients, bodies and threading headers."""

    id: int
    account_id: int
    ticket_id: int | None
    message_id: int | None
    kind: str
    from_addr: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    body_html: str
    email_message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    status: str
    attempts: int
    next_attempt: int
    last_error: str | None
    created: int
    sent: int | None


@dataclass(frozen=True, slots=True)
class ImapSettings:
    inbox_id: int
    account_id: int
    host: str
    port: int
    tls: bool
    username: str
    folder: str
    enabled: bool
    last_polled: int | None
    last_error: str | None
    created: int
    updated: int
    password: str = field(default="", repr=False)


class MailQueries(Protocol):
    """What the mail channel reads and writes (storage/mail_queries.py)."""

    # threading
    def ticket_by_email_message_ids(self, account_id: int, ids: Sequence[str]) -> int | None: ...

    def ticket_id_by_number(self, account_id: int, number: int) -> int | None: ...

    def email_message_ids_of(self, ticket_id: int, limit: int) -> list[str]: ...

    def set_message_mail(
        self,
        message_id: int,
        *,
        email_message_id: str,
        to: Sequence[str],
        cc: Sequence[str],
    ) -> None: ...

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
    def count_recent_mail(self, account_id: int, to_addr: str, kind: str, since: int) -> int: ...

    def claim_outbox(self, now: int, limit: int, lease_ms: int) -> list[OutboxMail]: ...

    def finish_outbox(self, outbox_id: int, attempts: int, changes: Mapping[str, Any]) -> bool: ...

    def list_outbox(
        self, account_id: int, *, ticket_id: int | None, status: str | None, limit: int
    ) -> list[OutboxMail]: ...

    # IMAP
    def put_imap(self, values: Mapping[str, Any]) -> ImapSettings: ...

    def get_imap(self, account_id: int, inbox_id: int) -> ImapSettings | None: ...

    def delete_imap(self, inbox_id: int) -> None: ...

    def list_enabled_imap(self) -> list[ImapSettings]: ...

    def update_imap(self, inbox_id: int, changes: Mapping[str, Any]) -> None: ...
