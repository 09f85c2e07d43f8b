"""The schema. Timestamps are integer milliseconds since the epoch (UTC) on every backend.

Integers keep ordering and keyset cursors exact and identical on SQLite and PostgreSQL,
and every dialect prints its own date format from them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

# Stable constraint names so that one migration chain fits both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_N_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Stamp = BigInteger


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _account() -> Column[int]:
    return Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False)


accounts = Table(
    "accounts",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("ticket_seq", Integer, nullable=False, default=0),
    Column("created", Stamp, nullable=False),
)

agents = Table(
    "agents",
    metadata,
    _id(),
    _account(),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("picture_url", String(2000)),
    Column("department", String(200)),
    Column("groups", Text, nullable=False, default=""),
    Column("is_back_office", Boolean, nullable=False, default=False),
    Column("password_hash", String(200)),
    Column("last_active", Stamp),
    Column("created", Stamp, nullable=False),
    UniqueConstraint("account_id", "email"),
)

inboxes = Table(
    "inboxes",
    metadata,
    _id(),
    _account(),
    Column("name", String(200), nullable=False),
    # Globally unique: inbound mail is routed to an account by this address alone.
    Column("email", String(320), nullable=False, unique=True),
    Column("auto_reply", Text),
    Column("created", Stamp, nullable=False),
)

agent_inboxes = Table(
    "agent_inboxes",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
)


def _named(name: str) -> Table:
    return Table(
        name,
        metadata,
        _id(),
        _account(),
        Column("name", String(200), nullable=False),
        Column("created", Stamp, nullable=False),
        UniqueConstraint("account_id", "name"),
    )


categories = _named("categories")
departments = _named("departments")
custom_fields = _named("custom_fields")

contacts = Table(
    "contacts",
    metadata,
    _id(),
    _account(),
    Column("email", String(320), nullable=False),
    Column("name", String(300)),
    Column("phone", String(40)),
    Column("company", String(200)),
    Column("external_id", String(200)),
    Column("created", Stamp, nullable=False),
    UniqueConstraint("account_id", "email"),
)
# Contacts are looked up by address case-insensitively (every ticket a customer opens, the
# ImBox fromEmail filter); without this each lookup scans the account's contacts (0004).
# `email` itself is included so that SQLite 3.40 sees the index as covering a lookup of
# ids, or it prefers the unique (account_id, email) index and scans it.
Index(
    "ix_contacts_account_email_lower",
    contacts.c.account_id,
    func.lower(contacts.c.email),
    contacts.c.email,
)

credentials = Table(
    "credentials",
    metadata,
    _id(),
    _account(),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    # The public half of a key, used to find the row; the secret is only stored hashed.
    Column("key_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    Column("scopes", Text, nullable=False, default=""),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("created", Stamp, nullable=False),
    Column("last_used", Stamp),
    Column("revoked", Stamp),
)

tickets = Table(
    "tickets",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    _account(),
    Column("number", Integer, nullable=False),
    Column("subject", String(1000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("category_id", Integer, ForeignKey("categories.id")),
    Column("department_id", Integer, ForeignKey("departments.id")),
    Column("inbox_id", Integer, ForeignKey("inboxes.id")),
    Column("requester_id", Integer, ForeignKey("contacts.id")),
    Column("notes", Text, nullable=False, default=""),
    Column("archived_at", Stamp),
    Column("merged_into_id", Integer, ForeignKey("tickets.id")),
    Column("force_closed", Boolean, nullable=False, default=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Column("latest_activity", Stamp, nullable=False),
    Column("client_last_replied", Stamp),
    Column("client_last_read", Stamp),
    UniqueConstraint("account_id", "number"),
    Index("ix_tickets_account_updated", "account_id", "updated", "id"),
    Index("ix_tickets_account_requester", "account_id", "requester_id", "status"),
    # Keyset listings walk an account's tickets in id order (0002). No index leads with
    # (account_id, latest_activity): without statistics SQLite would pick it to order the
    # open-ticket lookup and scan the whole account instead of one requester's tickets.
    Index("ix_tickets_account_id", "account_id", "id"),
    Index("ix_tickets_account_status", "account_id", "status", "id"),
    # One customer's unmerged tickets in id order, counted from the index alone (v3, 0003).
    Index(
        "ix_tickets_customer_list",
        "account_id",
        "requester_id",
        "id",
        sqlite_where=text("merged_into_id IS NULL"),
        postgresql_where=text("merged_into_id IS NULL"),
    ),
)

ticket_labels = Table(
    "ticket_labels",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Index("ix_ticket_labels_name", "name", "ticket_id"),
)

ticket_tags = Table(
    "ticket_tags",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Index("ix_ticket_tags_name", "name", "ticket_id"),
)

ticket_assignees = Table(
    "ticket_assignees",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Index("ix_ticket_assignees_agent", "agent_id", "ticket_id"),
)

ticket_links = Table(
    "ticket_links",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("linked_id", Integer, ForeignKey("tickets.id"), primary_key=True),
)

ticket_fields = Table(
    "ticket_fields",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("field_id", Integer, ForeignKey("custom_fields.id"), primary_key=True),
    Column("value", Text, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    _account(),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("from_email", String(320)),
    Column("from_name", String(300)),
    Column("to_addrs", Text, nullable=False, default=""),
    Column("cc_addrs", Text, nullable=False, default=""),
    Column("bcc_addrs", Text, nullable=False, default=""),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("email_message_id", String(998)),
    Column("created", Stamp, nullable=False),
    Index("ix_messages_ticket", "ticket_id", "id"),
    Index("ix_messages_account_created", "account_id", "created", "id"),
)

attachments = Table(
    "attachments",
    metadata,
    _id(),
    Column("uuid", String(36), nullable=False, unique=True),
    _account(),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("original_name", String(255), nullable=False),
    Column("stored_name", String(80), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_attachments_message", "message_id"),
    Index("ix_attachments_ticket", "ticket_id"),
)

events = Table(
    "events",
    metadata,
    _id(),
    _account(),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("kind", String(64), nullable=False),
    Column("actor", String(300), nullable=False),
    Column("data", Text, nullable=False, default="{}"),
    Column("created", Stamp, nullable=False),
    Index("ix_events_account_ticket", "account_id", "ticket_id", "id"),
)

# Outgoing mail, written in the transaction that decided to send it and delivered after
# commit by the mail channel. The dedupe key makes queueing the same mail twice impossible.
outbox = Table(
    "outbox",
    metadata,
    _id(),
    _account(),
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
    Index("ix_outbox_status_next_attempt", "status", "next_attempt"),
    # The per-sender auto-reply cap counts one recipient's recent auto replies (issue 7).
    Index("ix_outbox_account_to_kind_created", "account_id", "to_addr", "kind", "created"),
    Index("ix_outbox_ticket", "ticket_id", "id"),
)

# -- InboxOps search (issue 4, migration 0006) ------------------------------------------------

# Full-text search keeps one document per ticket (its subject and message bodies) in
# objects SQLAlchemy cannot describe: an FTS5 virtual table on SQLite (and the shadow
# tables SQLite keeps for it), a tsvector table with a GIN index on PostgreSQL, both kept
# in step by triggers. Migration 0006 alone creates them; the models-versus-migrations
# check leaves exactly these table names out (tests/storage/test_migrations.py), and
# tests/dialects/inboxops/test_search_schema.py checks that they and their triggers exist.
SEARCH_TABLES = frozenset(
    {"ticket_search"}
    | {f"ticket_search_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")}
)

# The inbox list (archived tickets hidden) filtered by status and priority, and its total
# counted from the index alone: without it, counting means reading every ticket's row.
Index(
    "ix_tickets_inbox",
    tickets.c.account_id,
    tickets.c.status,
    tickets.c.priority,
    tickets.c.id,
    sqlite_where=text("archived_at IS NULL"),
    postgresql_where=text("archived_at IS NULL"),
)

# -- e-mail channel (issue 7, migration 0007) -------------------------------------------------

# An inbox that fetches its mail from an IMAP mailbox instead of (or as well as) receiving it
# over SMTP. The password is write-only: no API renders it.
inbox_imap = Table(
    "inbox_imap",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
    _account(),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("tls", Boolean, nullable=False),
    Column("username", String(320), nullable=False),
    Column("password", Text, nullable=False),
    Column("folder", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("last_polled", Stamp),
    Column("last_error", Text),
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
    _id(),
    _account(),
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

# Threading and Message-ID lookups: a reply's In-Reply-To / References name messages of
# the same account that Frontdesk received or sent.
Index(
    "ix_messages_account_email_message_id",
    messages.c.account_id,
    messages.c.email_message_id,
)

# -- live chat (issue 6, migration 0008) --------------------------------------------------------

# One website visitor: the widget keeps `public_id` (ImBox conversationID, `V...`) and a
# secret whose SHA-256 is `secret_hash` across page loads. `last_seq` numbers the messages;
# taking the next number locks the row, which serialises writers to one conversation.
# `session_id` is the open chat, or the last one (no foreign key: sessions point back here).
chat_conversations = Table(
    "chat_conversations",
    metadata,
    _id(),
    _account(),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("session_id", Integer),
    Column("visitor_name", String(200)),
    Column("last_seq", Integer, nullable=False),
    Column("traffic_type", String(300), nullable=False),
    Column("search_engine", String(40), nullable=False),
    Column("referrer", String(2000)),
    Column("browser", String(200), nullable=False),
    Column("os", String(200), nullable=False),
    Column("city", String(200)),
    Column("country", String(200)),
    Column("exit_page", String(2000)),
    Column("last_visit", Stamp, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Index("ix_chat_conversations_account_status", "account_id", "status", "updated"),
)

# One chat within a conversation: from the first message while none was open to its close.
# chatStatistics rows are sessions, found by their start time.
chat_sessions = Table(
    "chat_sessions",
    metadata,
    _id(),
    _account(),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("started", Stamp, nullable=False),
    Column("closed", Stamp),
    Column("rating", Integer),
    Index("ix_chat_sessions_account_started", "account_id", "started", "id"),
    Index("ix_chat_sessions_conversation", "conversation_id", "id"),
)

# sender: agent (agent_id set), visitor, or system (body is the event as JSON text).
# client_ref is the widget's own tag for a visitor message: a resend after a reconnect
# carries the same one and is not stored twice.
chat_messages = Table(
    "chat_messages",
    metadata,
    _id(),
    _account(),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("session_id", Integer, ForeignKey("chat_sessions.id")),
    Column("seq", Integer, nullable=False),
    Column("sender", String(8), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("from_name", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("client_ref", String(64)),
    UniqueConstraint("conversation_id", "seq"),
    UniqueConstraint("conversation_id", "client_ref"),
    Index("ix_chat_messages_conversation", "conversation_id", "id"),
    Index("ix_chat_messages_session", "session_id", "sender", "created"),
)

# Every page a visitor reported, for page filters (listConversations, chatStatistics).
chat_pages = Table(
    "chat_pages",
    metadata,
    _id(),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_chat_pages_conversation", "conversation_id", "id"),
)

# type 0: the visitor's name (one per conversation), type 1: a regular tag.
chat_tags = Table(
    "chat_tags",
    metadata,
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), primary_key=True),
    Column("type", Integer, primary_key=True),
    Column("tag", String(200), primary_key=True),
    Column("created", Stamp, nullable=False),
)

chat_labels = Table(
    "chat_labels",
    metadata,
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), primary_key=True),
    Column("label", String(200), primary_key=True),
    Column("created", Stamp, nullable=False),
)

# insertCard data: one row per (conversation, card id), replaced on update.
chat_cards = Table(
    "chat_cards",
    metadata,
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), primary_key=True),
    Column("data_id", String(100), primary_key=True),
    Column("data", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
)

chat_page_filters = Table(
    "chat_page_filters",
    metadata,
    _id(),
    _account(),
    Column("search_name", String(200), nullable=False),
    Column("search_filter", String(2000), nullable=False),
    Column("match_type", String(16), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_chat_page_filters_account", "account_id", "id"),
)
