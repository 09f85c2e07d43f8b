"""Customer satisfaction (CSAT): each inbox's survey settings, and one survey per ticket.

A report reads `csat_surveys` (rating, comment, first_rated, rated) or the `csat.rated`
events; docs/automation.md, "CSAT", describes both.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

csat_settings = Table(
    "csat_settings",
    metadata,
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
    account_column(),
    Column("enabled", Boolean, nullable=False),
    Column("delay_minutes", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("updated", Stamp, nullable=False),
)

csat_surveys = Table(
    "csat_surveys",
    metadata,
    id_column(),
    account_column(),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, unique=True),
    # Where and by whom it was solved, as a report groups it (plain numbers: an inbox or
    # agent may go later, the rating stays).
    Column("inbox_id", Integer),
    Column("agent_id", Integer),
    Column("rating", String(16)),  # great | okay | bad, None until the customer rates
    Column("comment", Text),
    Column("outbox_id", Integer),  # the survey mail, cancelled while still queued
    Column("first_rated", Stamp),  # the 7 days in which it may change start here
    Column("rated", Stamp),
    Column("created", Stamp, nullable=False),
    Index("ix_csat_surveys_account_rated", "account_id", "rated"),
)
