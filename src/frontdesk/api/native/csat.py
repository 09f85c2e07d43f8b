"""An inbox's satisfaction survey settings (docs/automation.md, "CSAT"), and a ticket's
survey as its agents see it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core.automation import csat
from frontdesk.core.automation.records import CsatSettings, Survey
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import get_ticket
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["csat"])
admin = scoped(Scope.ADMIN)
reader = scoped(Scope.TICKETS_READ)


class CsatSettingsIn(Strict):
    enabled: bool
    delay_minutes: int = Field(default=60, ge=0, le=csat.MAX_DELAY_MINUTES)
    text: str = Field(default="", max_length=2000)


class CsatSettingsOut(BaseModel):
    inbox_id: int
    enabled: bool
    delay_minutes: int
    text: str


class SurveyOut(BaseModel):
    id: int
    ticket_id: int
    rating: str | None
    score: int | None
    comment: str | None
    first_rated: int | None
    rated: int | None
    created: int


def _settings(found: CsatSettings) -> CsatSettingsOut:
    return CsatSettingsOut(
        inbox_id=found.inbox_id,
        enabled=found.enabled,
        delay_minutes=found.delay_minutes,
        text=found.text,
    )


@router.get("/inboxes/{inbox_id}/csat", response_model=CsatSettingsOut)
def get_settings(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> CsatSettingsOut:
    with services.store.read() as uow:
        return _settings(csat.settings_of(uow, actor, inbox_id))


@router.put("/inboxes/{inbox_id}/csat", response_model=CsatSettingsOut)
def put_settings(
    inbox_id: PathId,
    body: CsatSettingsIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> CsatSettingsOut:
    wanted = CsatSettings(inbox_id, body.enabled, body.delay_minutes, body.text, 0)
    with services.store.write() as uow:
        return _settings(csat.set_settings(uow, actor, inbox_id, wanted, now_ms()))


@router.get("/tickets/{ticket_id}/csat", response_model=SurveyOut | None)
def ticket_survey(
    ticket_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> SurveyOut | None:
    """The ticket's survey (null when none was sent)."""
    with services.store.read() as uow:
        get_ticket(uow, actor, ticket_id)  # the ticket is the actor's, else 404
        found = csat.survey_of_ticket(uow, actor, ticket_id)
    return None if found is None else _survey(found)


def _survey(found: Survey) -> SurveyOut:
    return SurveyOut(
        id=found.id,
        ticket_id=found.ticket_id,
        rating=found.rating,
        score=csat.SCORES.get(found.rating or ""),
        comment=found.comment,
        first_rated=found.first_rated,
        rated=found.rated,
        created=found.created,
    )
