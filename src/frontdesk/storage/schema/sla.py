"""SLA policies, business-hours calendars and each ticket's stored clocks (issue 19)."""

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

# Weekly hours as JSON [[weekday, start minute, end minute], ...] in the zone's wall time;
# holidays as JSON ["YYYY-MM-DD", ...].
sla_calendars = Table(
    "sla_calendars",
    metadata,
    id_column(),
    account_column(),
    Column("name", String(100), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("hours", Text, nullable=False),
    Column("holidays", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    UniqueConstraint("account_id", "name"),
)

# Targets as JSON {"<priority>": [first, next, resolution] minutes or null}.
sla_policies = Table(
    "sla_policies",
    metadata,
    id_column(),
    account_column(),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("inbox_id", Integer, ForeignKey("inboxes.id")),
    Column("label", String(100)),
    Column("calendar_id", Integer, ForeignKey("sla_calendars.id")),
    Column("targets", Text, nullable=False),
    Column("warn_minutes", Integer, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Index("ix_sla_policies_account", "account_id", "position"),
)

# One row per ticket a policy ever applied to. `state` is the clocks (JSON); `due` (the
# soonest due time of a counting clock) and `next_check` (the next warning or breach to
# record) are columns for the list's "due soonest" and the sweep's index scans.
# `policy_id` has no foreign key: a deleted policy's id is what the clocks followed until
# the change, and the re-targeting after the deletion still needs to know it.
ticket_sla = Table(
    "ticket_sla",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    account_column(),
    Column("policy_id", Integer),
    Column("state", Text, nullable=False),
    Column("due", Stamp),
    Column("breached", Boolean, nullable=False),
    Column("next_check", Stamp),
    Column("updated", Stamp, nullable=False),
    Index("ix_ticket_sla_account_due", "account_id", "due", "ticket_id"),
    Index("ix_ticket_sla_next_check", "next_check"),
)
