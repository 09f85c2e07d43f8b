"""The event feed (scope `admin`): every change the core recorded, oldest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from frontdesk.api.native import hook_schemas as h
from frontdesk.api.native.deps import scoped
from frontdesk.core.automation import feed
from frontdesk.core.automation.records import FeedQuery
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.http.deps import services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["events"])
admin = scoped(Scope.ADMIN)
_MS = 253_402_300_799_999  # 9999-12-31: a bound that fits every backend's integer


@router.get("/events", response_model=h.EventPage)
def list_events(
    kinds: list[str] = Query(
        default=[], alias="type", max_length=20, description="Event types: exact, `area.*`, `*`"
    ),
    ticket_id: int | None = Query(default=None, ge=1, le=MAX_ROW_ID),
    since: int | None = Query(default=None, ge=0, le=_MS, description="ms since the epoch"),
    until: int | None = Query(default=None, ge=0, le=_MS, description="ms since the epoch"),
    after_id: int = Query(default=0, ge=0, le=MAX_ROW_ID),
    limit: int = Query(default=100, ge=1, le=feed.MAX_LIMIT),
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> h.EventPage:
    query = FeedQuery(
        kinds=tuple(kinds),
        ticket_id=ticket_id,
        since=since,
        until=until,
        after_id=after_id,
        limit=limit,
    )
    with services.store.read() as uow:
        page = feed.list_events(uow, actor, query)
    items = [
        h.EventOut(
            id=item.id,
            type=item.kind,
            time=item.created,
            actor=item.actor,
            ticket_id=item.ticket_id,
            data=item.data,
        )
        for item in page.items
    ]
    return h.EventPage(items=items, next_after_id=items[-1].id if page.more else None)
