"""The e-mail channel: the outbox, IMAP mailboxes, receipts of inbound mail."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

outbox = Table(
    "outbox",
    metadata,
    id_column(),
    account_column(),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("kind", String(32), nullable=False),
    Column("from_addr", String(320), nullable=False),
    Column("to_addr", String(320), nullable=False),
    Column("subject", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Stamp, nullable=False),
    Column("last_error", Text),
    Column("created", Stamp, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    # 0005: what an agent reply needs on the wire. to_addr keeps the first recipient and
    # to_addrs all of them (newline-joined, like messages); the Message-ID is fixed when
    # the row is queued so that a retried send carries the same one.
    Column("to_addrs", Text, nullable=False, server_default=""),
    Column("cc_addrs", Text, nullable=False, server_default=""),
    Column("body_html", Text, nullable=False, server_default=""),
    Column("email_message_id", String(998)),
    Column("in_reply_to", String(998)),
    Column("references", Text, nullable=False, server_default=""),
    Column("sent", Stamp),
    # 0017: blind copies of an agent's reply; the envelope carries them, no header does.
    Column("bcc_addrs", Text, nullable=False, server_default=""),
    # 0025: where answers go when not to From (a copy to an agent: the agent's signed
    # reply address, mail/agent_replies.py).
    Column("reply_to", String(320)),
    Index("ix_outbox_status_next_attempt", "status", "next_attempt"),
    # The per-sender auto-reply cap counts one recipient's recent auto replies (issue 7).
    Index("ix_outbox_account_to_kind_created", "account_id", "to_addr", "kind", "created"),
    Index("ix_outbox_ticket", "ticket_id", "id"),
    # 0047: ImBox listTicketsEmails leaves out a message whose mail has not left (issue 16).
    Index("ix_outbox_message", "message_id", "status"),
    # 0047: a bounce finds the mail it reports on by its Message-ID (issue 16).
    Index("ix_outbox_email_message_id", "account_id", "email_message_id"),
)


# -- e-mail channel (issue 7, migration 0007) -------------------------------------------------

# An inbox that fetches its mail from an IMAP mailbox instead of (or as well as) receiving it
# over SMTP. The password is write-only: no API renders it.
inbox_imap = Table(
    "inbox_imap",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
    account_column(),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("tls", Boolean, nullable=False),
    Column("username", String(320), nullable=False),
    Column("password", Text, nullable=False),
    Column("folder", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False),
    # password | oauth2 (XOAUTH2 with the inbox's OAuth grant, inbox_oauth)
    Column("auth", String(16), nullable=False, server_default="password"),
    Column("last_polled", Stamp),
    Column("last_error", Text),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
)

# An inbox's OAuth 2 grant (issue 16): what the poller and the inbox's relay log in with
# by XOAUTH2 where the provider takes no passwords (Microsoft 365, Gmail). The client
# secret and both tokens are sealed (services/sealing.py); the access token is a cache,
# refreshed before `access_expires` and after a refused login.
inbox_oauth = Table(
    "inbox_oauth",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
    account_column(),
    Column("token_url", String(2000), nullable=False),
    Column("client_id", String(500), nullable=False),
    Column("client_secret", Text, nullable=False),
    Column("scope", String(1000), nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("access_token", Text, nullable=False),
    Column("access_expires", Stamp),
    Column("last_refreshed", Stamp),
    Column("last_error", Text),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
)

# An inbox's own outbound relay (issue 16), used instead of FRONTDESK_RELAY_HOST for the
# mail that leaves from that inbox. security: none | starttls | tls; auth: none |
# password | oauth2. The password is sealed and write-only.
inbox_relays = Table(
    "inbox_relays",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
    account_column(),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("security", String(16), nullable=False),
    Column("auth", String(16), nullable=False),
    Column("username", String(320), nullable=False),
    Column("password", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
)

# Every mail that came in, delivered or not: the raw bytes live in the blob store under
# raw_sha256, so nothing is ever lost. `mail_key` (the Message-ID, else the raw digest) is
# unique per account, which is what makes a redelivered mail a no-op. Mail that could not
# become a ticket stays here with status 'quarantined' and the reason, for admins to see.
mail_receipts = Table(
    "mail_receipts",
    metadata,
    id_column(),
    account_column(),
    Column("inbox_id", Integer, ForeignKey("inboxes.id")),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("mail_key", String(998), nullable=False),
    Column("email_message_id", String(998)),
    Column("envelope_from", String(320)),
    Column("recipients", Text, nullable=False, server_default=""),
    Column("from_addr", String(320)),
    Column("subject", String(1000), nullable=False, server_default=""),
    Column("raw_sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("error", Text),
    Column("created", Stamp, nullable=False),
    UniqueConstraint("account_id", "mail_key"),
    Index("ix_mail_receipts_account_status", "account_id", "status", "id"),
)
