"""Webhook endpoints: registered by admins, matched against every event the core records.

Deliveries are queued by `queue_deliveries` in the transaction that recorded the events
(storage calls it just before committing), so a rolled-back change queues nothing and a
committed one cannot be lost: the webhook outbox works like the mail outbox.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import DeliveryStatus, Endpoint
from frontdesk.core.identity import accounts
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import Actor, Event
from frontdesk.core.shared.text import check_text

WEBHOOK_CREATED = "webhook.created"
WEBHOOK_UPDATED = "webhook.updated"
WEBHOOK_DELETED = "webhook.deleted"
WEBHOOK_DISABLED = "webhook.disabled"
WEBHOOK_REDELIVERY = "webhook.redelivery"
MAX_URL = 2000
MAX_TYPES = 100
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# `*`, an area's every kind (`ticket.*`), or one kind (`ticket.status_changed`).
_TYPE = re.compile(r"^(\*|[a-z][a-z_]{0,30}\.\*|[a-z][a-z_]{0,30}(\.[a-z][a-z_]{0,40})+)$")


@dataclass(frozen=True)
class EndpointFields:
    url: str | None = None
    event_types: Sequence[str] | None = None
    inbox_id: int | None = None
    description: str | None = None
    active: bool | None = None


def new_secret() -> str:
    """A fresh signing secret: shown to the admin once, stored sealed."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def checked_url(url: str) -> str:
    """An absolute http(s) URL without credentials; where it points is checked when sending."""
    check_text(url, "url")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("invalid_url", "the URL must be an absolute http or https URL", field="url")
    if parts.username or parts.password:
        raise Invalid("invalid_url", "the URL must not carry a user or password", field="url")
    if len(url) > MAX_URL:
        raise Invalid("invalid_url", f"the URL is over {MAX_URL} characters", field="url")
    return url.strip()


def checked_types(types: Sequence[str]) -> tuple[str, ...]:
    if not types:
        raise Invalid("required", "name at least one event type (or *)", field="event_types")
    if len(types) > MAX_TYPES:
        raise Invalid("invalid", f"at most {MAX_TYPES} event types", field="event_types")
    for kind in types:
        if not _TYPE.match(kind):
            raise Invalid(
                "invalid_event_type",
                f"{kind[:80]!r} is not an event type, `area.*` or `*`",
                field="event_types",
            )
    return tuple(dict.fromkeys(types))


def matches(patterns: Sequence[str], kind: str) -> bool:
    area = kind.split(".", 1)[0]
    return any(p == "*" or p == kind or p == f"{area}.*" for p in patterns)


def _checked_inbox(uow: AutomationUnit, actor: Actor, inbox_id: int | None) -> int | None:
    if inbox_id is not None and accounts.find_inbox(uow, actor.account_id, inbox_id) is None:
        raise NotFound("inbox_not_found", f"No inbox {inbox_id}", field="inbox_id")
    return inbox_id


def create_endpoint(
    uow: AutomationUnit, actor: Actor, fields: EndpointFields, sealed_secret: str
) -> Endpoint:
    if fields.url is None or fields.event_types is None:
        raise Invalid("required", "url and event_types are required", field="url")
    now = now_ms()
    endpoint = uow.webhooks.insert_endpoint(
        {
            "account_id": actor.account_id,
            "url": checked_url(fields.url),
            "description": _description(fields.description),
            "event_types": "\n".join(checked_types(fields.event_types)),
            "inbox_id": _checked_inbox(uow, actor, fields.inbox_id),
            "active": True if fields.active is None else fields.active,
            "secret": sealed_secret,
            "created": now,
            "updated": now,
        }
    )
    events.record(uow, actor, WEBHOOK_CREATED, now, id=endpoint.id, url=endpoint.url)
    return endpoint


def _description(text: str | None) -> str:
    if text:
        check_text(text, "description")
    return (text or "").strip()[:200]


def get_endpoint(uow: AutomationUnit, actor: Actor, endpoint_id: int) -> Endpoint:
    found = uow.webhooks.get_endpoint(actor.account_id, endpoint_id)
    if found is None:
        raise NotFound("webhook_not_found", f"No webhook {endpoint_id}")
    return found


def list_endpoints(uow: AutomationUnit, actor: Actor) -> list[Endpoint]:
    return uow.webhooks.list_endpoints(actor.account_id)


def update_endpoint(
    uow: AutomationUnit,
    actor: Actor,
    endpoint_id: int,
    fields: EndpointFields,
    *,
    clear_inbox: bool,
) -> Endpoint:
    """Change what was given; switching an endpoint back on forgets its failures."""
    endpoint = get_endpoint(uow, actor, endpoint_id)
    now = now_ms()
    changes: dict[str, object] = {"updated": now}
    if fields.url is not None:
        changes["url"] = checked_url(fields.url)
    if fields.event_types is not None:
        changes["event_types"] = "\n".join(checked_types(fields.event_types))
    if fields.inbox_id is not None or clear_inbox:
        changes["inbox_id"] = _checked_inbox(uow, actor, fields.inbox_id)
    if fields.description is not None:
        changes["description"] = _description(fields.description)
    if fields.active is not None:
        changes["active"] = fields.active
        if fields.active and not endpoint.active:
            changes.update(failing_since=None, disabled_reason=None)
            # What waited while it was off is due now, not after its last backoff.
            uow.webhooks.release_deliveries(endpoint.id, now)
    updated = uow.webhooks.update_endpoint(endpoint.id, changes)
    events.record(uow, actor, WEBHOOK_UPDATED, now, id=endpoint.id, active=updated.active)
    return updated


def rotate_secret(
    uow: AutomationUnit, actor: Actor, endpoint_id: int, sealed_secret: str
) -> Endpoint:
    endpoint = get_endpoint(uow, actor, endpoint_id)
    now = now_ms()
    updated = uow.webhooks.update_endpoint(endpoint.id, {"secret": sealed_secret, "updated": now})
    events.record(uow, actor, WEBHOOK_UPDATED, now, id=endpoint.id, secret_rotated=True)
    return updated


def delete_endpoint(uow: AutomationUnit, actor: Actor, endpoint_id: int) -> None:
    """Deleted with its deliveries and their log: nothing more will be sent to it."""
    endpoint = get_endpoint(uow, actor, endpoint_id)
    uow.webhooks.delete_endpoint(endpoint.id)
    events.record(uow, actor, WEBHOOK_DELETED, now_ms(), id=endpoint.id)


def queue_deliveries(uow: AutomationUnit, recorded: Sequence[tuple[int, Event, int]]) -> int:
    """One delivery per (active endpoint that wants it, event); how many were queued.

    Called with the transaction's events just before it commits. An endpoint with an inbox
    filter gets only events of that inbox's tickets.
    """
    rows: list[dict[str, object]] = []
    for account_id in dict.fromkeys(event.account_id for _id, event, _now in recorded):
        endpoints = uow.webhooks.active_endpoints(account_id)
        if not endpoints:
            continue
        mine = [item for item in recorded if item[1].account_id == account_id]
        inboxes = _inboxes_if_filtered(uow, endpoints, mine)
        for event_id, event, now in mine:
            for endpoint in endpoints:
                if not matches(endpoint.event_types, event.kind):
                    continue
                if endpoint.inbox_id is not None and (
                    event.ticket_id is None or inboxes.get(event.ticket_id) != endpoint.inbox_id
                ):
                    continue
                rows.append(_delivery_row(endpoint, event_id, event, now))
    if rows:
        uow.webhooks.queue_deliveries(rows)
    return len(rows)


def queue_one(
    uow: AutomationUnit, actor: Actor, endpoint_id: int, recorded: tuple[int, Event, int]
) -> None:
    """Deliver one recorded event to one endpoint of the actor's account, whatever kinds it
    subscribed to: a rule's "call a webhook" action (core/rules)."""
    endpoint = get_endpoint(uow, actor, endpoint_id)
    if not endpoint.active:
        return
    event_id, event, now = recorded
    uow.webhooks.queue_deliveries([_delivery_row(endpoint, event_id, event, now)])


def _inboxes_if_filtered(
    uow: AutomationUnit, endpoints: list[Endpoint], recorded: list[tuple[int, Event, int]]
) -> dict[int, int | None]:
    if all(endpoint.inbox_id is None for endpoint in endpoints):
        return {}
    ticket_ids = {event.ticket_id for _id, event, _now in recorded if event.ticket_id is not None}
    return uow.webhooks.ticket_inboxes(sorted(ticket_ids)) if ticket_ids else {}


def _delivery_row(endpoint: Endpoint, event_id: int, event: Event, now: int) -> dict[str, object]:
    return {
        "account_id": event.account_id,
        "endpoint_id": endpoint.id,
        "event_id": event_id,
        "ticket_id": event.ticket_id,
        "kind": event.kind,
        "status": DeliveryStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt": now,
        "created": now,
    }
