"""Records of the e-mail channel: receipts of inbound mail, outgoing mail, IMAP settings."""

from __future__ import annotations

from dataclasses import dataclass, field

RECEIVED = "delivered"


QUARANTINED = "quarantined"
BOUNCE = "bounce"  # a delivery report on our own mail: filed on the mail's ticket


@dataclass(frozen=True, slots=True)
class MailReceipt:
    """One inbound mail: where it came from, what became of it, where its raw bytes are."""

    id: int
    account_id: int
    inbox_id: int | None
    source: str  # smtp | imap | import
    status: str  # delivered | quarantined | bounce
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
    bcc: tuple[str, ...] = ()  # envelope recipients only: never written into a header
    reply_to: str | None = None  # a Reply-To header (an agent's signed reply address)


@dataclass(frozen=True, slots=True)
class CustomerMail:
    """Whom the customer's latest message on a ticket came from and went to."""

    from_email: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]


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
