"""Live chat."""

from __future__ import annotations

from sqlalchemy import (
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

# -- live chat (issue 6, migration 0008) --------------------------------------------------------

# One website visitor: the widget keeps `public_id` (ImBox conversationID, `V...`) and a
# secret whose SHA-256 is `secret_hash` across page loads. `last_seq` numbers the messages;
# taking the next number locks the row, which serialises writers to one conversation.
# `session_id` is the open chat, or the last one (no foreign key: sessions point back here).
chat_conversations = Table(
    "chat_conversations",
    metadata,
    id_column(),
    account_column(),
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
    Column("verified", Stamp),  # when the widget proved a browser (migration 0012)
    Column("last_visit", Stamp, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Index("ix_chat_conversations_account_status", "account_id", "status", "updated"),
    # 0035: the contact the visitor is known to be (their chats, merges, GDPR).
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Index("ix_chat_conversations_contact", "account_id", "contact_id", "id"),
)

# One chat within a conversation: from the first message while none was open to its close.
# chatStatistics rows are sessions, found by their start time.
chat_sessions = Table(
    "chat_sessions",
    metadata,
    id_column(),
    account_column(),
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
    id_column(),
    account_column(),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id"), nullable=False),
    Column("session_id", Integer, ForeignKey("chat_sessions.id")),
    Column("seq", Integer, nullable=False),
    Column("sender", String(8), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("from_name", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("client_ref", String(64)),
    # For agents only (a transfer's note to the agent who takes the chat over): never in
    # the body, which the visitor's widget and the ImBox transcript read.
    Column("note", Text),
    UniqueConstraint("conversation_id", "seq"),
    UniqueConstraint("conversation_id", "client_ref"),
    Index("ix_chat_messages_conversation", "conversation_id", "id"),
    Index("ix_chat_messages_session", "session_id", "sender", "created"),
)

# Every page a visitor reported, for page filters (listConversations, chatStatistics).
chat_pages = Table(
    "chat_pages",
    metadata,
    id_column(),
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
    id_column(),
    account_column(),
    Column("search_name", String(200), nullable=False),
    Column("search_filter", String(2000), nullable=False),
    Column("match_type", String(16), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_chat_page_filters_account", "account_id", "id"),
)

# -- the widget's settings (issue 15, migration 0045) ---------------------------------------------

# One row per account that changed a default. `offline_inbox_id` has no foreign key on
# purpose: deleting an inbox must not fail on it; the core falls back to the default inbox
# when it names none of the account's. `texts` is JSON: {"en": {"greeting", "offline"}, ...}.
chat_settings = Table(
    "chat_settings",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("team_name", String(100)),
    Column("offline_inbox_id", Integer),
    Column("color", String(7)),
    Column("position", String(8)),
    Column("texts", Text, nullable=False),
    Column("updated", Stamp, nullable=False),
)

# -- agents' chat status (issue 15, migration 0050) ---------------------------------------------

# What each agent chose (online, away, offline) and how many chats they take at once
# (NULL: no limit). One row per agent, written when they first set either.
agent_chat_status = Table(
    "agent_chat_status",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    account_column(),
    Column("status", String(8), nullable=False),
    Column("chat_limit", Integer),
    Column("updated", Stamp, nullable=False),
)

# The agent's open console tabs, each renewed by its heartbeat; `active` is false once the
# agent has not touched that tab for a while. A tab not seen within the expiry is closed.
agent_tabs = Table(
    "agent_tabs",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("tab", String(64), primary_key=True),
    account_column(),
    Column("active", Boolean, nullable=False),
    Column("seen", Stamp, nullable=False),
)

# How long a waiting chat stays offered to one agent before the next (issue 15,
# migration 0051); an account without a row uses the default.
chat_routing = Table(
    "chat_routing",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("offer_seconds", Integer, nullable=False),
    Column("updated", Stamp, nullable=False),
)
