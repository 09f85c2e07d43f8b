"""Webhook deliveries: claimed and recorded by the worker, listed and redelivered by admins.

Outcomes: a 2xx -> delivered; no connection, a timeout, a 5xx or a 429 -> tried again
after a doubling backoff; any other answer, a refused address, or too many attempts ->
failed. An endpoint whose deliveries have failed for `disable_after_ms` is switched off,
and its account's owners and admins are told (an event, and a mail through the outbox).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    work = []
    for delivery in claimed:
        endpoint = uow.webhooks.get_endpoint(delivery.account_id, delivery.endpoint_id)
        assert endpoint is not None  # a delivery's endpoint is deleted with it
        account = accounts.get_account(uow, delivery.account_id)
        event = uow.feed.get_feed_event(delivery.account_id, delivery.event_id)
        work.append(Work(delivery, endpoint, event, account.public_id))
    return work


def record(
    uow: AutomationUnit,
    work: Work,
    outcome: Outcome,
    body: str | None,
    policy: DeliveryPolicy,
    now: int,
) -> bool:
    """Record one attempt; False when another worker had claimed the row meanwhile."""
    delivery, endpoint = work.delivery, work.endpoint
    kind = outcome.kind
    if kind == RETRY and delivery.attempts >= policy.max_attempts:
        kind = FAILED
    changes: dict[str, object] = {
        "response_code": outcome.response_code,
        "last_error": (outcome.error or "")[:2000] or None,
        "last_attempt": now,
        "body": body,
    }
    if kind == DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED.value, delivered=now)
    elif kind == RETRY:
        wait = backoff_ms(delivery.attempts, policy.retry_base_ms, policy.retry_max_ms)
        changes.update(status=DeliveryStatus.QUEUED.value, next_attempt=now + wait)
    else:
        changes["status"] = DeliveryStatus.FAILED.value
    if not uow.webhooks.finish_delivery(delivery.id, delivery.attempts, changes):
        return False
    uow.webhooks.add_attempt(
        {
            "delivery_id": delivery.id,
            "attempt": delivery.attempts,
            "outcome": kind,
            "response_code": outcome.response_code,
            "error": changes["last_error"],
            "duration_ms": outcome.duration_ms,
            "created": now,
        }
    )
    _endpoint_health(uow, endpoint, kind == DELIVERED, policy, now)
    return True


def _endpoint_health(
    uow: AutomationUnit, endpoint: Endpoint, ok: bool, policy: DeliveryPolicy, now: int
) -> None:
    fresh = uow.webhooks.get_endpoint(endpoint.account_id, endpoint.id)
    if fresh is None:
        return
    if ok:
        if fresh.failing_since is not None:
            uow.webhooks.update_endpoint(fresh.id, {"failing_since": None})
        return
    if fresh.failing_since is None:
        uow.webhooks.update_endpoint(fresh.id, {"failing_since": now})
    elif fresh.active and now - fresh.failing_since >= policy.disable_after_ms:
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
