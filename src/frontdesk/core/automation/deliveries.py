"""Webhook deliveries: claimed and recorded by the worker, listed and redelivered by admins.

Outcomes: a 2xx -> delivered; no connection, a timeout, a 5xx or a 429 -> tried again
after a doubling backoff; any other answer, a refused address, or too many attempts ->
failed. An endpoint whose deliveries have failed for `disable_after_ms` is switched off,
and its account's owners and admins are told (an event, and a mail through the outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import (
    Attempt,
    Delivery,
    DeliveryPolicy,
    DeliveryStatus,
    Endpoint,
    FeedEvent,
)
from frontdesk.core.automation.webhooks import WEBHOOK_DISABLED, WEBHOOK_REDELIVERY, get_endpoint
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Role
from frontdesk.core.mail.outbox import MAIL_QUEUED, QUEUED, backoff_ms, new_message_id
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import NotFound
from frontdesk.core.shared.records import Actor

log = logging.getLogger(__name__)
DELIVERED, RETRY, FAILED = "delivered", "retry", "failed"
WEBHOOK_DISABLED_MAIL = "webhook_disabled"
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to, as the worker saw it."""

    kind: str  # delivered | retry | failed
    response_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Work:
    """A claimed delivery with what the worker needs to send it."""

    delivery: Delivery
    endpoint: Endpoint
    event: FeedEvent | None  # None: the event row is gone (the delivery fails)
    account_public_id: str


def _system(account_id: int) -> Actor:
    return Actor(account_id=account_id, label="webhooks")


def claim(uow: AutomationUnit, now: int, limit: int, lease_ms: int) -> list[Work]:
    """Due deliveries whose earlier deliveries (same endpoint and ticket) are done."""
    claimed = uow.webhooks.claim_deliveries(now, limit, lease_ms)
    endpoints: dict[int, Endpoint] = {}  # a batch is mostly a few endpoints' rows
    public_ids: dict[int, str] = {}
    found = uow.feed.feed_events([delivery.event_id for delivery in claimed])
    work = []
    for delivery in claimed:
        if delivery.endpoint_id not in endpoints:
            endpoint = uow.webhooks.get_endpoint(delivery.account_id, delivery.endpoint_id)
            assert endpoint is not None  # a delivery's endpoint is deleted with it
            endpoints[delivery.endpoint_id] = endpoint
        if delivery.account_id not in public_ids:
            account = accounts.get_account(uow, delivery.account_id)
            public_ids[delivery.account_id] = account.public_id
        event = found.get(delivery.event_id)
        if event is not None and event.account_id != delivery.account_id:
            event = None  # never another account's event, whatever a row says
        work.append(
            Work(delivery, endpoints[delivery.endpoint_id], event, public_ids[delivery.account_id])
        )
    return work


@dataclass(frozen=True, slots=True)
class Attempted:
    """One claimed delivery, tried: what came of it and the body it was sent (or None)."""

    work: Work
    outcome: Outcome
    body: str | None


def record_all(
    uow: AutomationUnit, attempted: Sequence[Attempted], policy: DeliveryPolicy, now: int
) -> int:
    """Record a worker's attempts together: a few statements and one commit for the lot.

    Delivery stays at least once: a worker that dies before this commit leaves its rows
    'sending', and they are sent again when their lease ends. Order per ticket holds: a
    claim never holds two deliveries of one endpoint and ticket, and the next one becomes
    claimable only once this one is recorded. A row another worker took over meanwhile
    (its lease ran out) is left to that worker. How many were recorded.
    """
    kinds = {item.work.delivery.id: _final_kind(item, policy) for item in attempted}
    changes = [_changes(item, kinds[item.work.delivery.id], policy, now) for item in attempted]
    ours = uow.webhooks.finish_deliveries(changes)
    mine = [item for item in attempted if item.work.delivery.id in ours]
    uow.webhooks.add_attempts(
        [_attempt_row(item, kinds[item.work.delivery.id], now) for item in mine]
    )
    by_endpoint: dict[int, list[bool]] = {}
    for item in mine:
        by_endpoint.setdefault(item.work.endpoint.id, []).append(
            kinds[item.work.delivery.id] == DELIVERED
        )
    for item in mine:
        outcomes = by_endpoint.pop(item.work.endpoint.id, None)
        if outcomes is not None:
            _endpoint_health(uow, item.work.endpoint, outcomes, policy, now)
    return len(mine)


def _final_kind(item: Attempted, policy: DeliveryPolicy) -> str:
    if item.outcome.kind == RETRY and item.work.delivery.attempts >= policy.max_attempts:
        return FAILED
    return item.outcome.kind


def _changes(item: Attempted, kind: str, policy: DeliveryPolicy, now: int) -> dict[str, Any]:
    """The row's new values; `delivered` and `next_attempt` None where they keep theirs."""
    delivery = item.work.delivery
    changes: dict[str, Any] = {
        "id": delivery.id,
        "attempts": delivery.attempts,
        "response_code": item.outcome.response_code,
        "last_error": _error(item),
        "last_attempt": now,
        "body": item.body,
        "delivered": None,
        "next_attempt": None,
    }
    if kind == DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED.value, delivered=now)
    elif kind == RETRY:
        wait = backoff_ms(delivery.attempts, policy.retry_base_ms, policy.retry_max_ms)
        changes.update(status=DeliveryStatus.QUEUED.value, next_attempt=now + wait)
    else:
        changes["status"] = DeliveryStatus.FAILED.value
    return changes


def _error(item: Attempted) -> str | None:
    return (item.outcome.error or "")[:2000] or None


def _attempt_row(item: Attempted, kind: str, now: int) -> dict[str, Any]:
    return {
        "delivery_id": item.work.delivery.id,
        "attempt": item.work.delivery.attempts,
        "outcome": kind,
        "response_code": item.outcome.response_code,
        "error": _error(item),
        "duration_ms": item.outcome.duration_ms,
        "created": now,
    }


def forget_old(uow: AutomationUnit, policy: DeliveryPolicy, now: int, batch: int) -> int:
    """One batch of the retention sweep: up to `batch` delivered deliveries older than
    `keep_delivered_ms`, else failed ones older than `keep_failed_ms`, deleted with their
    log; how many (the caller runs batches, each its own transaction, until one is short).
    Queued and sending deliveries are never touched, however old."""
    gone = uow.webhooks.forget_deliveries(
        DeliveryStatus.DELIVERED.value, now - policy.keep_delivered_ms, batch
    )
    if gone < batch:
        gone += uow.webhooks.forget_deliveries(
            DeliveryStatus.FAILED.value, now - policy.keep_failed_ms, batch - gone
        )
    return gone


def _endpoint_health(
    uow: AutomationUnit, endpoint: Endpoint, outcomes: list[bool], policy: DeliveryPolicy, now: int
) -> None:
    """Fold a round's outcomes for one endpoint, in order, into its failing_since; switch
    it off once it has failed for `disable_after_ms` without a success between."""
    fresh = uow.webhooks.get_endpoint(endpoint.account_id, endpoint.id)
    if fresh is None:
        return
    failing_since = fresh.failing_since
    for ok in outcomes:
        failing_since = None if ok else (now if failing_since is None else failing_since)
    if failing_since != fresh.failing_since:
        fresh = uow.webhooks.update_endpoint(fresh.id, {"failing_since": failing_since})
        if fresh.failing_since == now:
            return  # failing from now: too new to switch off
    if (
        failing_since is not None
        and fresh.active
        and now - failing_since >= policy.disable_after_ms
    ):
        _disable(uow, fresh, now)


def _disable(uow: AutomationUnit, endpoint: Endpoint, now: int) -> None:
    hours = (now - (endpoint.failing_since or now)) // 3_600_000
    reason = f"every delivery failed for {hours} hours"
    uow.webhooks.update_endpoint(
        endpoint.id, {"active": False, "disabled_reason": reason, "updated": now}
    )
    actor = _system(endpoint.account_id)
    events.record(uow, actor, WEBHOOK_DISABLED, now, id=endpoint.id, reason=reason)
    _tell_admins(uow, endpoint, reason, now)


def _tell_admins(uow: AutomationUnit, endpoint: Endpoint, reason: str, now: int) -> None:
    """One mail to each owner and admin, through the outbox, from the account's first inbox."""
    inboxes = accounts.inboxes_of(uow, endpoint.account_id)
    if not inboxes:
        log.warning("account %s has no inbox to tell admins of webhook %s", *_ids(endpoint))
        return
    sender = min(inboxes, key=lambda inbox: inbox.id)
    actor = _system(endpoint.account_id)
    admins = [a for a in accounts.list_agents(uow, actor) if a.role in (Role.OWNER, Role.ADMIN)]
    for agent in admins:
        body = (
            f"Hello {agent.name},\n\nFrontdesk switched off the webhook {endpoint.url}\n"
            f"(id {endpoint.id}): {reason}.\n\nNothing is sent to it until an admin switches "
            'it back on (PATCH /api/v1/webhooks/{id} with {"active": true}); deliveries '
            "queued meanwhile are sent then.\n"
        )
        outbox_id = uow.mail.queue_mail(
            {
                "account_id": endpoint.account_id,
                "ticket_id": None,
                "message_id": None,
                "kind": WEBHOOK_DISABLED_MAIL,
                "from_addr": sender.email,
                "to_addr": agent.email,
                "to_addrs": agent.email,
                "subject": f"Webhook switched off: {endpoint.url}"[:1000],
                "body": body,
                "email_message_id": new_message_id(sender.email),
                "status": QUEUED,
                "attempts": 0,
                "next_attempt": now,
                "created": now,
                "dedupe_key": f"{WEBHOOK_DISABLED_MAIL}:{endpoint.id}:{agent.id}:{now}",
            }
        )
        if outbox_id is not None:
            events.record(uow, actor, MAIL_QUEUED, now, outbox_id=outbox_id, kind="webhook")


def _ids(endpoint: Endpoint) -> tuple[int, int]:
    return endpoint.account_id, endpoint.id


def list_deliveries(
    uow: AutomationUnit, actor: Actor, endpoint_id: int, *, before_id: int, limit: int
) -> list[tuple[Delivery, list[Attempt]]]:
    """An endpoint's deliveries, newest first, each with its attempts."""
    endpoint = get_endpoint(uow, actor, endpoint_id)
    found = uow.webhooks.list_deliveries(
        actor.account_id, endpoint.id, before_id=before_id, limit=limit
    )
    attempts = uow.webhooks.attempts_of([item.id for item in found])
    return [(item, attempts.get(item.id, [])) for item in found]


def latest_deliveries(uow: AutomationUnit, actor: Actor) -> dict[int, Delivery]:
    """Each of the account's endpoints' newest delivery, by endpoint id (the settings list)."""
    return uow.webhooks.latest_deliveries(actor.account_id)


def get_delivery(uow: AutomationUnit, actor: Actor, delivery_id: int) -> Delivery:
    found = uow.webhooks.get_delivery(actor.account_id, delivery_id)
    if found is None:
        raise NotFound("delivery_not_found", f"No delivery {delivery_id}")
    return found


def redeliver(uow: AutomationUnit, actor: Actor, delivery_id: int) -> Delivery:
    """Send a delivery again (the same event id and body), with a fresh set of attempts."""
    delivery = get_delivery(uow, actor, delivery_id)
    now = now_ms()
    again = uow.webhooks.update_delivery(
        delivery.id, {"status": DeliveryStatus.QUEUED.value, "attempts": 0, "next_attempt": now}
    )
    events.record(
        uow, actor, WEBHOOK_REDELIVERY, now, id=delivery.endpoint_id, delivery_id=delivery.id
    )
    return again
