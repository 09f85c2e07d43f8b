"""Records of the e-mail channel: receipts of inbound mail, outgoing mail, IMAP settings."""

from __future__ import annotations

from dataclasses import dataclass, field

RECEIVED = "delivered"


QUARANTINED = "quarantined"
BOUNCE = "bounce"  # a delivery report on our own mail: filed on the mail's ticket
DISCARDED = "discarded"  # quarantined, then set aside by an admin: kept, no longer listed


@dataclass(frozen=True, slots=True)
class MailReceipt:
    """One inbound mail: where it came from, what became of it, where its raw bytes are."""

    id: int
    account_id: int
    inbox_id: int | None
    source: str  # smtp | imap | import
    status: str  # delivered | quarantined | bounce | discarded
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
    auth: str = "password"  # password | oauth2 (XOAUTH2 with the inbox's OAuthGrant)


PASSWORD = "password"  # noqa: S105 (a login kind, not a password)
OAUTH2 = "oauth2"
NO_AUTH = "none"


@dataclass(frozen=True, slots=True)
class OAuthGrant:
    """An inbox's OAuth 2 grant: the client, the refresh token, the cached access token.

    Secrets are kept sealed here (services/sealing.py); only the services layer opens them.
    """

    inbox_id: int
    account_id: int
    token_url: str
    client_id: str
    scope: str
    access_expires: int | None
    last_refreshed: int | None
    last_error: str | None
    created: int
    updated: int
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class InboxRelay:
    """An inbox's own outbound relay, used instead of the installation's for its mail."""

    inbox_id: int
    account_id: int
    host: str
    port: int
    security: str  # none | starttls | tls
    auth: str  # none | password | oauth2
    username: str
    created: int
    updated: int
    password: str = field(default="", repr=False)
