"""SQL for the automation area (core.automation.ports): webhooks, the event feed, and
Idempotency-Key records."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from frontdesk.core.automation.records import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    FeedEvent,
    FeedQuery,
    StoredAnswer,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    insert_row,
    locks_rows,
    one_in_account,
    split_lines,
    update_row,
    upsert,
)

_PENDING = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)


class SqlWebhooks:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_endpoint(self, values: Mapping[str, Any]) -> Endpoint:
        return _endpoint(insert_row(self.conn, t.webhook_endpoints, values))

    def update_endpoint(self, endpoint_id: int, changes: Mapping[str, Any]) -> Endpoint:
        return _endpoint(update_row(self.conn, t.webhook_endpoints, endpoint_id, changes))

    def get_endpoint(self, account_id: int, endpoint_id: int) -> Endpoint | None:
        row = one_in_account(self.conn, t.webhook_endpoints, account_id, endpoint_id)
        return _endpoint(row) if row else None

    def list_endpoints(self, account_id: int) -> list[Endpoint]:
        we = t.webhook_endpoints
        rows = self.conn.execute(select(we).where(we.c.account_id == account_id).order_by(we.c.id))
        return [_endpoint(row) for row in rows]

    def active_endpoints(self, account_id: int) -> list[Endpoint]:
        we = t.webhook_endpoints
        rows = self.conn.execute(
            select(we).where(we.c.account_id == account_id, we.c.active.is_(True)).order_by(we.c.id)
        )
        return [_endpoint(row) for row in rows]

    def delete_endpoint(self, endpoint_id: int) -> None:
        wd = t.webhook_deliveries
        mine = select(wd.c.id).where(wd.c.endpoint_id == endpoint_id)
        self.conn.execute(
            delete(t.webhook_attempts).where(t.webhook_attempts.c.delivery_id.in_(mine))
        )
        self.conn.execute(delete(wd).where(wd.c.endpoint_id == endpoint_id))
        self.conn.execute(
            delete(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)
        )

    def ticket_inboxes(self, ticket_ids: Sequence[int]) -> dict[int, int | None]:
        tk = t.tickets
        rows = self.conn.execute(
            select(tk.c.id, tk.c.inbox_id).where(tk.c.id.in_(list(ticket_ids)))
        )
        return {int(row.id): row.inbox_id for row in rows}

    def queue_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.conn.execute(insert(t.webhook_deliveries), [dict(row) for row in rows])

    def claim_deliveries(self, now: int, limit: int, lease_ms: int) -> list[Delivery]:
        """Take due deliveries for one worker: 'sending' until `now + lease_ms`.

        A delivery is due only when no earlier delivery for the same endpoint and ticket
        is still pending: that keeps each ticket's events in order at the receiver, also
        across retries and across workers (PostgreSQL skips rows another worker holds).
        """
        wd, we = t.webhook_deliveries, t.webhook_endpoints
        earlier = aliased(wd)
        blocked = exists().where(
            earlier.c.endpoint_id == wd.c.endpoint_id,
            earlier.c.ticket_id == wd.c.ticket_id,
            earlier.c.id < wd.c.id,
            earlier.c.status.in_(_PENDING),
        )
        query = (
            select(wd.c.id)
            .join(we, we.c.id == wd.c.endpoint_id)
            .where(
                wd.c.status.in_(_PENDING), wd.c.next_attempt <= now, we.c.active.is_(True), ~blocked
            )
            .order_by(wd.c.id)
            .limit(limit)
        )
        if locks_rows(self.conn):
            query = query.with_for_update(of=wd, skip_locked=True)
        ids = list(self.conn.execute(query).scalars())
        if not ids:
            return []
        rows = self.conn.execute(
            update(wd)
            .where(wd.c.id.in_(ids))
            .values(
                status=DeliveryStatus.SENDING.value,
                attempts=wd.c.attempts + 1,
                next_attempt=now + lease_ms,
            )
            .returning(wd)
        ).all()
        return sorted((_delivery(row) for row in rows), key=lambda item: item.id)

    def finish_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> set[int]:
        if not rows:
            return set()
        wd = t.webhook_deliveries
        wanted = {row["id"]: row["attempts"] for row in rows}
        query = select(wd.c.id, wd.c.attempts).where(
            wd.c.id.in_(list(wanted)), wd.c.status == DeliveryStatus.SENDING.value
        )
        if locks_rows(self.conn):
            query = query.with_for_update(of=wd)
        ours = {row.id for row in self.conn.execute(query) if wanted[row.id] == row.attempts}
        params = [{f"v_{key}": value for key, value in row.items()} for row in rows]
        mine = [values for values in params if values["v_id"] in ours]
        if mine:
            # One statement for the lot (executemany); each row keeps its own values.
            self.conn.execute(
                update(wd)
                .where(wd.c.id == bindparam("v_id"))
                .values(
                    status=bindparam("v_status"),
                    response_code=bindparam("v_response_code"),
                    last_error=bindparam("v_last_error"),
                    last_attempt=bindparam("v_last_attempt"),
                    body=bindparam("v_body"),
                    delivered=func.coalesce(bindparam("v_delivered"), wd.c.delivered),
                    next_attempt=func.coalesce(bindparam("v_next_attempt"), wd.c.next_attempt),
                ),
                mine,
            )
        return ours

    def add_attempts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(t.webhook_attempts), [dict(row) for row in rows])

    def get_delivery(self, account_id: int, delivery_id: int) -> Delivery | None:
        row = one_in_account(self.conn, t.webhook_deliveries, account_id, delivery_id)
        return _delivery(row) if row else None

    def update_delivery(self, delivery_id: int, changes: Mapping[str, Any]) -> Delivery:
        return _delivery(update_row(self.conn, t.webhook_deliveries, delivery_id, changes))

    def list_deliveries(
        self, account_id: int, endpoint_id: int, *, before_id: int, limit: int
    ) -> list[Delivery]:
        wd = t.webhook_deliveries
        rows = self.conn.execute(
            select(wd)
            .where(
                wd.c.account_id == account_id, wd.c.endpoint_id == endpoint_id, wd.c.id < before_id
            )
            .order_by(wd.c.id.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    def latest_deliveries(self, account_id: int) -> dict[int, Delivery]:
        wd = t.webhook_deliveries
        newest = (
            select(func.max(wd.c.id))
            .where(wd.c.account_id == account_id)
            .group_by(wd.c.endpoint_id)
            .scalar_subquery()
        )
        rows = self.conn.execute(select(wd).where(wd.c.id.in_(newest)))
        return {row.endpoint_id: _delivery(row) for row in rows}

    def attempts_of(self, delivery_ids: Sequence[int]) -> dict[int, list[Attempt]]:
        if not delivery_ids:
            return {}
        wa = t.webhook_attempts
        rows = self.conn.execute(
            select(wa).where(wa.c.delivery_id.in_(list(delivery_ids))).order_by(wa.c.id)
        )
        found: dict[int, list[Attempt]] = {}
        for row in rows:
            found.setdefault(row.delivery_id, []).append(
                Attempt(
                    delivery_id=row.delivery_id,
                    attempt=row.attempt,
                    outcome=row.outcome,
                    response_code=row.response_code,
                    error=row.error,
                    duration_ms=row.duration_ms,
                    created=row.created,
                )
            )
        return found

    def release_deliveries(self, endpoint_id: int, now: int) -> None:
        wd = t.webhook_deliveries
        self.conn.execute(
            update(wd)
            .where(wd.c.endpoint_id == endpoint_id, wd.c.status == DeliveryStatus.QUEUED.value)
            .values(next_attempt=now)
        )

    def forget_deliveries(self, status: str, before: int, limit: int) -> int:
        wd, wa = t.webhook_deliveries, t.webhook_attempts
        query = (
            select(wd.c.id)
            .where(wd.c.status == status, wd.c.last_attempt < before)
            .order_by(wd.c.status, wd.c.last_attempt)
            .limit(limit)
        )
        if locks_rows(self.conn):  # a row an admin redelivers right now is left alone
            query = query.with_for_update(skip_locked=True)
        ids = list(self.conn.execute(query).scalars())
        if ids:
            self.conn.execute(delete(wa).where(wa.c.delivery_id.in_(ids)))
            self.conn.execute(delete(wd).where(wd.c.id.in_(ids)))
        return len(ids)


class SqlEventFeed:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def list_feed(self, account_id: int, query: FeedQuery) -> list[FeedEvent]:
        ev = t.events
        conditions = [ev.c.account_id == account_id, ev.c.id > query.after_id]
        if query.kinds and "*" not in query.kinds:
            exact = [kind for kind in query.kinds if not kind.endswith(".*")]
            areas = [kind[:-1] for kind in query.kinds if kind.endswith(".*")]
            conditions.append(
                or_(
                    ev.c.kind.in_(exact),
                    *(ev.c.kind.startswith(area, autoescape=True) for area in areas),
                )
            )
        if query.ticket_id is not None:
            conditions.append(ev.c.ticket_id == query.ticket_id)
        if query.since is not None:
            conditions.append(ev.c.created >= query.since)
        if query.until is not None:
            conditions.append(ev.c.created <= query.until)
        if query.actor is not None:
            conditions.append(ev.c.actor == query.actor)
        if query.before_id is not None:
            conditions.append(ev.c.id < query.before_id)
        order = ev.c.id.desc() if query.newest_first else ev.c.id
        rows = self.conn.execute(
            select(ev).where(and_(*conditions)).order_by(order).limit(query.limit)
        )
        return [_event(row) for row in rows]

    def feed_events(self, event_ids: Sequence[int]) -> dict[int, FeedEvent]:
        if not event_ids:
            return {}
        rows = self.conn.execute(select(t.events).where(t.events.c.id.in_(list(set(event_ids)))))
        return {row.id: _event(row) for row in rows}


class SqlIdempotency:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def reserve_key(self, values: Mapping[str, Any]) -> bool:
        ik = t.idempotency_keys
        found = self.conn.execute(
            upsert(self.conn)(ik)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[ik.c.account_id, ik.c.key])
            .returning(ik.c.id)
        ).scalar_one_or_none()
        return found is not None

    def find_key(self, account_id: int, key: str) -> StoredAnswer | None:
        ik = t.idempotency_keys
        row = self.conn.execute(
            select(ik).where(ik.c.account_id == account_id, ik.c.key == key)
        ).one_or_none()
        if row is None:
            return None
        return StoredAnswer(
            fingerprint=row.fingerprint,
            finished=row.status == "done",
            status_code=row.response_code,
            body=row.response_body,
            headers=json.loads(row.response_headers or "{}"),
            created=row.created,
            expires=row.expires,
        )

    def finish_key(self, account_id: int, key: str, changes: Mapping[str, Any]) -> None:
        ik = t.idempotency_keys
        self.conn.execute(
            update(ik).where(ik.c.account_id == account_id, ik.c.key == key).values(**changes)
        )

    def drop_key(self, account_id: int, key: str) -> None:
        ik = t.idempotency_keys
        self.conn.execute(delete(ik).where(ik.c.account_id == account_id, ik.c.key == key))

    def drop_expired_key(self, account_id: int, key: str, now: int) -> None:
        ik = t.idempotency_keys
        self.conn.execute(
            delete(ik).where(ik.c.account_id == account_id, ik.c.key == key, ik.c.expires <= now)
        )

    def drop_expired_keys(self, now: int) -> int:
        ik = t.idempotency_keys
        return int(self.conn.execute(delete(ik).where(ik.c.expires <= now)).rowcount)


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        description=row.description,
        event_types=split_lines(row.event_types),
        inbox_id=row.inbox_id,
        active=bool(row.active),
        failing_since=row.failing_since,
        disabled_reason=row.disabled_reason,
        created=row.created,
        updated=row.updated,
        secret=row.secret,
    )


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(
        id=m["id"],
        account_id=m["account_id"],
        endpoint_id=m["endpoint_id"],
        event_id=m["event_id"],
        ticket_id=m["ticket_id"],
        kind=m["kind"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt=m["next_attempt"],
        body=m["body"],
        response_code=m["response_code"],
        last_error=m["last_error"],
        last_attempt=m["last_attempt"],
        delivered=m["delivered"],
        created=m["created"],
    )


def _event(row: Any) -> FeedEvent:
    return FeedEvent(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        actor=row.actor,
        ticket_id=row.ticket_id,
        data=json.loads(row.data or "{}"),
        created=row.created,
    )
