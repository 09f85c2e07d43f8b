"""Agents' notifications and their preferences (issue 18, migration 0036)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

# One thing an agent should hear about. It holds ids, never text: the title is drawn from
# the ticket or chat when shown, so that erasing a contact (GDPR) leaves nothing here.
# `mailed` is when it went out by mail (alone, or in a digest); null while it waits.
notifications = Table(
    "notifications",
    metadata,
    id_column(),
    account_column(),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("conversation_id", Integer, ForeignKey("chat_conversations.id")),
    Column("message_id", Integer),  # the message it is about (no key: messages may move)
    Column("by_agent_id", Integer, ForeignKey("agents.id")),
    Column("created", Stamp, nullable=False),
    Column("read_at", Stamp),
    Column("mailed", Stamp),
    Index("ix_notifications_agent", "agent_id", "id"),
    Index("ix_notifications_ticket", "ticket_id"),
    Index("ix_notifications_conversation", "conversation_id"),
)

# An agent's choices: for each kind, in the web app, by mail, both or neither (comma lists
# of kinds), and how mail goes: one per event, or an hourly or daily digest.
notification_settings = Table(
    "notification_settings",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    account_column(),
    Column("web", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("delivery", String(16), nullable=False),
    Column("last_digest", Stamp),
    Column("updated", Stamp, nullable=False),
)
