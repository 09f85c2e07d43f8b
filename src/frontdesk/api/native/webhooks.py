"""Webhook endpoints and their delivery log (scope `admin`): thin wrappers over
core.automation. The signing secret is generated here, sealed, and shown once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from frontdesk.api.native import hook_schemas as h
from frontdesk.api.native.deps import scoped
from frontdesk.core import automation
from frontdesk.core.automation import deliveries
from frontdesk.core.automation.records import Attempt, Delivery, DeliveryStatus, Endpoint
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services
from frontdesk.services.webhooks import check_target, seal_secret

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
admin = scoped(Scope.ADMIN)


def _out(record: Endpoint) -> h.WebhookOut:
    return h.WebhookOut(
        id=record.id,
        url=record.url,
        description=record.description,
        event_types=list(record.event_types),
        inbox_id=record.inbox_id,
        active=record.active,
        failing_since=record.failing_since,
        disabled_reason=record.disabled_reason,
        created=record.created,
        updated=record.updated,
    )


def _delivery(record: Delivery, attempts: list[Attempt]) -> h.DeliveryOut:
    waiting = record.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    return h.DeliveryOut(
        id=record.id,
        webhook_id=record.endpoint_id,
        event_id=record.event_id,
        event_type=record.kind,
        ticket_id=record.ticket_id,
        status=record.status.value,
        attempts=record.attempts,
        next_attempt=record.next_attempt if waiting else None,
        response_code=record.response_code,
        last_error=record.last_error,
        last_attempt=record.last_attempt,
        delivered=record.delivered,
        created=record.created,
        log=[
            h.AttemptOut(
                attempt=item.attempt,
                outcome=item.outcome,
                response_code=item.response_code,
                error=item.error,
                duration_ms=item.duration_ms,
                time=item.created,
            )
            for item in attempts
        ],
    )


@router.get("/webhooks", response_model=list[h.WebhookOut])
def list_webhooks(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[h.WebhookOut]:
    with services.store.read() as uow:
        return [_out(item) for item in automation.list_endpoints(uow, actor)]


@router.post("/webhooks", response_model=h.WebhookCreated, status_code=201)
def create_webhook(
    body: h.WebhookIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> h.WebhookCreated:
    check_target(body.url, allow_private=services.settings.allow_private_webhooks)
    secret = automation.new_secret()
    fields = automation.EndpointFields(**body.model_dump())
    with services.store.write() as uow:
        created = automation.create_endpoint(
            uow, actor, fields, seal_secret(services.settings, secret)
        )
    return h.WebhookCreated(**_out(created).model_dump(), secret=secret)


@router.get("/webhooks/{webhook_id}", response_model=h.WebhookOut)
def get_webhook(
    webhook_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> h.WebhookOut:
    with services.store.read() as uow:
        return _out(automation.get_endpoint(uow, actor, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=h.WebhookOut)
def patch_webhook(
    webhook_id: PathId,
    body: h.WebhookPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> h.WebhookOut:
    given = body.model_dump(exclude_unset=True)
    clear_inbox = "inbox_id" in given and given["inbox_id"] is None
    check_target(given.get("url"), allow_private=services.settings.allow_private_webhooks)
    fields = automation.EndpointFields(**given)
    with services.store.write() as uow:
        updated = automation.update_endpoint(
            uow, actor, webhook_id, fields, clear_inbox=clear_inbox
        )
        return _out(updated)


@router.post("/webhooks/{webhook_id}/secret", response_model=h.WebhookCreated)
def rotate_secret(
    webhook_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> h.WebhookCreated:
    """A new signing secret, shown once; the old one stops signing at once."""
    secret = automation.new_secret()
    with services.store.write() as uow:
        updated = automation.rotate_secret(
            uow, actor, webhook_id, seal_secret(services.settings, secret)
        )
    return h.WebhookCreated(**_out(updated).model_dump(), secret=secret)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(
    webhook_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        automation.delete_endpoint(uow, actor, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=h.DeliveryPage)
def list_deliveries(
    webhook_id: PathId,
    before_id: int = Query(default=MAX_ROW_ID, ge=1, le=MAX_ROW_ID),
    limit: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> h.DeliveryPage:
    """Newest first; pass `next_before_id` as `before_id` for older ones."""
    with services.store.read() as uow:
        found = deliveries.list_deliveries(uow, actor, webhook_id, before_id=before_id, limit=limit)
    items = [_delivery(record, attempts) for record, attempts in found]
    more = len(items) == limit
    return h.DeliveryPage(items=items, next_before_id=items[-1].id if more else None)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", response_model=h.DeliveryOut)
def redeliver(
    delivery_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> h.DeliveryOut:
    """Send this delivery again: the same event id and body, a fresh set of attempts."""
    with services.store.write() as uow:
        return _delivery(deliveries.redeliver(uow, actor, delivery_id), [])
