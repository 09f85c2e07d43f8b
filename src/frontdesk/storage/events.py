"""The event log: what happened, written in the transaction that made it happen."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Connection,
    select,
)

from frontdesk.core.shared.records import Event
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t


class SqlEventLog:
    """Records events and keeps this transaction's, to publish once it committed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending: list[Event] = []
        # (row id, event, time) of this transaction's events, for the webhook outbox,
        # which queues its deliveries just before the transaction commits.
        self.recorded: list[tuple[int, Event, int]] = []

    def record_event(self, event: Event, now: int) -> None:
        result = self.conn.execute(
            hot_queries.insert_plain(t.events),
            {
                "account_id": event.account_id,
                "ticket_id": event.ticket_id,
                "kind": event.kind,
                "actor": event.actor,
                "data": json.dumps(event.data, default=str),
                "created": now,
            },
        )
        self.pending.append(event)
        key = result.inserted_primary_key
        assert key is not None  # an INSERT of one row always has it
        self.recorded.append((int(key[0]), event, now))

    def list_events(self, account_id: int, ticket_id: int) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.conn.execute(
            select(t.events.c.kind, t.events.c.actor, t.events.c.data)
            .where(t.events.c.account_id == account_id, t.events.c.ticket_id == ticket_id)
            .order_by(t.events.c.id)
        ).all()
        return [(kind, actor, json.loads(data)) for kind, actor, data in rows]
