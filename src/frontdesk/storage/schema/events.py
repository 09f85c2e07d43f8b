"""The event log."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

events = Table(
    "events",
    metadata,
    id_column(),
    account_column(),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("kind", String(64), nullable=False),
    Column("actor", String(300), nullable=False),
    Column("data", Text, nullable=False, default="{}"),
    Column("created", Stamp, nullable=False),
    Index("ix_events_account_ticket", "account_id", "ticket_id", "id"),
    # The event feed (GET /api/v1/events) pages an account's events by id.
    Index("ix_events_account_id", "account_id", "id"),
)

# Outgoing mail, written in the transaction that decided to send it and delivered after
# commit by the mail channel. The dedupe key makes queueing the same mail twice impossible.
