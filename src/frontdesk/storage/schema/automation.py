"""Webhooks (endpoints and their delivery outbox) and Idempotency-Key records."""

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

# An admin's subscription: where to POST, which event kinds, optionally one inbox's tickets.
# The signing secret is sealed (services/sealing.py): it must be given back to sign with.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    id_column(),
    account_column(),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False, server_default=""),
    Column("event_types", Text, nullable=False),
    Column("inbox_id", Integer, ForeignKey("inboxes.id")),
    Column("active", Boolean, nullable=False),
    Column("secret", Text, nullable=False),
    Column("failing_since", Stamp),
    Column("disabled_reason", String(500)),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Index("ix_webhook_endpoints_account_active", "account_id", "active"),
)

# The webhook outbox: one row per (endpoint, event), written in the transaction that
# recorded the event, so a rolled-back change queues nothing and a committed one is never
# lost. The worker claims rows whose earlier rows for the same endpoint and ticket are done
# (order per ticket); `body` is fixed at the first attempt, so retries send the same bytes.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    id_column(),
    account_column(),
    Column("endpoint_id", Integer, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_id", Integer, nullable=False),
    Column("ticket_id", Integer),
    Column("kind", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", Stamp, nullable=False),
    Column("body", Text),
    Column("response_code", Integer),
    Column("last_error", Text),
    Column("last_attempt", Stamp),
    Column("delivered", Stamp),
    Column("created", Stamp, nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt"),
    Index("ix_webhook_deliveries_order", "endpoint_id", "ticket_id", "id"),
    Index("ix_webhook_deliveries_event", "event_id"),
    # The retention sweep's: finished rows by status and age (docs/webhooks.md).
    Index("ix_webhook_deliveries_finished", "status", "last_attempt"),
)

# Each attempt of a delivery, for the admins' delivery log.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    id_column(),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("response_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
)

# Idempotency-Key: per account and key, the request's fingerprint and, once it finished,
# the answer to replay. A row still 'pending' after its lease belongs to a crashed request.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    id_column(),
    account_column(),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("response_code", Integer),
    Column("response_body", Text),
    Column("response_headers", Text),
    Column("created", Stamp, nullable=False),
    Column("expires", Stamp, nullable=False),
    UniqueConstraint("account_id", "key"),
    Index("ix_idempotency_keys_expires", "expires"),
)
