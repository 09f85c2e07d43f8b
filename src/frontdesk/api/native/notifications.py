"""Agents' notification settings and notifications over the API (scope `admin`).

A key belongs to an account, not to a person, so the agent is named in the path; agents
themselves use the web app (its bell and /notifications/settings).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import DbId, Strict
from frontdesk.core.notify import inbox
from frontdesk.core.notify.records import Delivery, Kind, Preferences, Shown
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1/agents", tags=["notifications"])
admin = scoped(Scope.ADMIN)


class SettingsBody(Strict):
    web: list[Kind] = Field(max_length=len(Kind), description="Kinds shown under the bell")
    email: list[Kind] = Field(max_length=len(Kind), description="Kinds sent by mail")
    delivery: Delivery = Field(description="Mail: one per event, or an hourly or daily digest")


class NotificationOut(BaseModel):
    id: int
    kind: Kind
    ticket_id: int | None
    ticket_number: int | None
    conversation_id: str | None
    title: str
    by_agent_id: int | None
    by_name: str | None
    detail: str | None = Field(
        default=None,
        description="mail_failed: the ticket's line naming the recipients and the reason",
    )
    created: int
    read_at: int | None
    mailed: int | None


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]
    unread: int
    next_before_id: int | None = Field(description="Pass as `before_id` for older ones")


class ReadIn(Strict):
    ids: list[DbId] | None = Field(default=None, max_length=500, description="null: all")


class ReadOut(BaseModel):
    marked: int


def _settings(chosen: Preferences) -> SettingsBody:
    return SettingsBody(web=sorted(chosen.web), email=sorted(chosen.email),
                        delivery=chosen.delivery)  # fmt: skip


def _out(shown: Shown) -> NotificationOut:
    item = shown.notification
    return NotificationOut(
        id=item.id, kind=item.kind, ticket_id=item.ticket_id,
        ticket_number=shown.ticket_number, conversation_id=shown.conversation_public_id,
        title=shown.title, by_agent_id=item.by_agent_id, by_name=shown.by_name,
        detail=shown.detail, created=item.created, read_at=item.read_at, mailed=item.mailed,
    )  # fmt: skip


@router.get("/{agent_id}/notification-settings", response_model=SettingsBody)
def get_settings(
    agent_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> SettingsBody:
    with services.store.read() as uow:
        return _settings(inbox.preferences_of(uow, actor, agent_id))


@router.put("/{agent_id}/notification-settings", response_model=SettingsBody)
def put_settings(
    agent_id: PathId,
    body: SettingsBody,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> SettingsBody:
    chosen = Preferences(frozenset(body.web), frozenset(body.email), body.delivery)
    with services.store.write() as uow:
        return _settings(inbox.set_preferences(uow, actor, agent_id, chosen))


@router.get("/{agent_id}/notifications", response_model=NotificationsOut)
def list_notifications(
    agent_id: PathId,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_PAGE)] = 25,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> NotificationsOut:
    """Newest first."""
    with services.store.read() as uow:
        shown = inbox.notifications_of(uow, actor, agent_id, before_id=before_id, limit=limit)
        unread = inbox.unread(uow, actor, agent_id)
    full = len(shown) == limit
    return NotificationsOut(
        notifications=[_out(item) for item in shown],
        unread=unread,
        next_before_id=shown[-1].notification.id if full else None,
    )


@router.post("/{agent_id}/notifications/read", response_model=ReadOut)
def mark_read(
    agent_id: PathId,
    body: ReadIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> ReadOut:
    with services.store.write() as uow:
        return ReadOut(marked=inbox.mark_read(uow, actor, agent_id, body.ids))
