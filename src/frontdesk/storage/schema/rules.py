"""Rules (triggers, time rules, macros), the time rules' firings, and fair assignment."""

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

# One table for the three kinds: they share conditions, actions and an order. Conditions
# and actions are JSON lists of triples (core/rules/records.py), checked when saved.
rules = Table(
    "rules",
    metadata,
    id_column(),
    account_column(),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("match", String(8), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("reply", Text, nullable=False, server_default=""),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Index("ix_rules_account_kind", "account_id", "kind", "position", "id"),
)

# A time rule fired on a ticket in one state: the unique key makes it fire once per
# state even when a leader dies between its work and noting it, or two sweeps overlap.
rule_firings = Table(
    "rule_firings",
    metadata,
    id_column(),
    account_column(),
    Column("rule_id", Integer, ForeignKey("rules.id", ondelete="CASCADE"), nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(100), nullable=False),
    Column("created", Stamp, nullable=False),
    UniqueConstraint("rule_id", "ticket_id", "state"),
)

# How an inbox's new tickets are spread (round_robin | least_open) and whom it chose last.
inbox_assignment = Table(
    "inbox_assignment",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True),
    account_column(),
    Column("method", String(16), nullable=False),
    Column("last_agent_id", Integer),
    Column("updated", Stamp, nullable=False),
)

# How many open tickets an agent takes at once (None: no limit).
agent_capacity = Table(
    "agent_capacity",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    account_column(),
    Column("capacity", Integer),
    Column("updated", Stamp, nullable=False),
)
