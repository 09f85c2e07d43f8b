"""SLA in the native API: a ticket's clocks, and the account's calendars and policies.

Reading a ticket's clocks needs `tickets:read`; reading and changing calendars and
policies needs `admin`, as other account settings do (docs/native.md, docs/automation.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.calendars import format_span
from frontdesk.core.automation.records import BusinessCalendar, SlaPolicy, TicketSla
from frontdesk.core.automation.sla import Metric, Targets
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets.records import Priority
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["sla"])
reader = scoped(Scope.TICKETS_READ)
admin = scoped(Scope.ADMIN)
Minutes = int | None


class ClockOut(BaseModel):
    metric: Metric
    started: int = Field(description="When this run of the clock started (ms)")
    due: int | None = Field(description="When it breaches if it keeps counting (ms)")
    met: int | None
    running: bool = Field(description="False while paused (pending, on hold) or met")
    business_ms: int = Field(description="Business time counted up to the last event")
    warned: bool
    breached: bool


class TicketSlaOut(BaseModel):
    ticket_id: int
    policy_id: int | None
    due: int | None = Field(description="The soonest due time of a counting clock")
    breached: bool
    clocks: list[ClockOut]


class CalendarIn(Strict):
    name: str = Field(max_length=200, examples=["Stockholm office"])
    zone: str = Field(max_length=64, examples=["Europe/Stockholm"])
    hours: dict[int, str] = Field(
        max_length=7, examples=[{"0": "09:00-17:00", "4": "09:00-12:00,13:00-16:00"}],
        description="weekday (0 = Monday) to spans, comma-separated",
    )  # fmt: skip
    holidays: list[str] = Field(default=[], max_length=500, examples=[["2026-12-24"]])


class CalendarOut(BaseModel):
    id: int
    name: str
    zone: str
    hours: dict[int, str]
    holidays: list[str]
    created: int
    updated: int


class TargetsIn(Strict):
    first_response: Minutes = Field(default=None, description="business minutes")
    next_response: Minutes = None
    resolution: Minutes = None


class PolicyIn(Strict):
    name: str = Field(max_length=200)
    targets: dict[Priority, TargetsIn]
    calendar_id: int | None = None
    inbox_id: int | None = None
    label: str | None = Field(default=None, max_length=200)
    warn_minutes: int = 0
    position: int = Field(default=0, ge=0, le=10_000)


class PolicyOut(BaseModel):
    id: int
    name: str
    position: int
    inbox_id: int | None
    label: str | None
    calendar_id: int | None
    targets: dict[Priority, TargetsIn]
    warn_minutes: int
    created: int
    updated: int


def _ticket_out(ticket_id: int, found: TicketSla | None) -> TicketSlaOut:
    if found is None:
        return TicketSlaOut(ticket_id=ticket_id, policy_id=None, due=None, breached=False,
                            clocks=[])  # fmt: skip
    clocks = [
        ClockOut(metric=metric, started=timer.started, due=timer.due, met=timer.met,
                 running=timer.running, business_ms=timer.elapsed, warned=timer.warned,
                 breached=timer.breached)
        for metric, timer in found.state.timers
    ]  # fmt: skip
    return TicketSlaOut(ticket_id=ticket_id, policy_id=found.policy_id, due=found.due,
                        breached=found.breached, clocks=clocks)  # fmt: skip


def _calendar_out(item: BusinessCalendar) -> CalendarOut:
    hours: dict[int, list[str]] = {}
    for span in item.calendar.spans:
        hours.setdefault(span.weekday, []).append(format_span(span))
    return CalendarOut(
        id=item.id, name=item.name, zone=item.calendar.zone,
        hours={day: ",".join(spans) for day, spans in hours.items()},
        holidays=sorted(day.isoformat() for day in item.calendar.holidays),
        created=item.created, updated=item.updated,
    )  # fmt: skip


def _policy_out(item: SlaPolicy) -> PolicyOut:
    targets = {
        priority: TargetsIn(first_response=given.first_response,
                            next_response=given.next_response, resolution=given.resolution)
        for priority, given in item.targets
    }  # fmt: skip
    return PolicyOut(
        id=item.id, name=item.name, position=item.position, inbox_id=item.inbox_id,
        label=item.label, calendar_id=item.calendar_id, targets=targets,
        warn_minutes=item.warn_minutes, created=item.created, updated=item.updated,
    )  # fmt: skip


def _calendar_fields(body: CalendarIn) -> sl.CalendarFields:
    return sl.CalendarFields(body.name, body.zone, body.hours, tuple(body.holidays))


def _policy_fields(body: PolicyIn) -> sl.PolicyFields:
    targets = {
        priority: Targets(given.first_response, given.next_response, given.resolution)
        for priority, given in body.targets.items()
    }
    return sl.PolicyFields(
        name=body.name, targets=targets, calendar_id=body.calendar_id, inbox_id=body.inbox_id,
        label=body.label, warn_minutes=body.warn_minutes, position=body.position,
    )  # fmt: skip


@router.get("/tickets/{ticket_id}/sla", response_model=TicketSlaOut)
def get_ticket_sla(
    ticket_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> TicketSlaOut:
    with services.store.read() as uow:
        return _ticket_out(ticket_id, sl.ticket_sla(uow, actor, ticket_id))


@router.get("/sla/calendars", response_model=list[CalendarOut])
def list_calendars(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[CalendarOut]:
    with services.store.read() as uow:
        return [_calendar_out(item) for item in sl.list_calendars(uow, actor)]


@router.post("/sla/calendars", response_model=CalendarOut, status_code=201)
def create_calendar(
    body: CalendarIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> CalendarOut:
    with services.store.write() as uow:
        return _calendar_out(sl.create_calendar(uow, actor, _calendar_fields(body)))


@router.put("/sla/calendars/{calendar_id}", response_model=CalendarOut)
def update_calendar(
    calendar_id: PathId,
    body: CalendarIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> CalendarOut:
    with services.store.write() as uow:
        changed = sl.update_calendar(uow, actor, calendar_id, _calendar_fields(body))
        return _calendar_out(changed)


@router.delete("/sla/calendars/{calendar_id}", status_code=204)
def delete_calendar(
    calendar_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        sl.delete_calendar(uow, actor, calendar_id)
    return Response(status_code=204)


@router.get("/sla/policies", response_model=list[PolicyOut])
def list_policies(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[PolicyOut]:
    with services.store.read() as uow:
        return [_policy_out(item) for item in sl.list_policies(uow, actor)]


@router.post("/sla/policies", response_model=PolicyOut, status_code=201)
def create_policy(
    body: PolicyIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> PolicyOut:
    with services.store.write() as uow:
        return _policy_out(sl.create_policy(uow, actor, _policy_fields(body)))


@router.put("/sla/policies/{policy_id}", response_model=PolicyOut)
def update_policy(
    policy_id: PathId,
    body: PolicyIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> PolicyOut:
    with services.store.write() as uow:
        return _policy_out(sl.update_policy(uow, actor, policy_id, _policy_fields(body)))


@router.delete("/sla/policies/{policy_id}", status_code=204)
def delete_policy(
    policy_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        sl.delete_policy(uow, actor, policy_id)
    return Response(status_code=204)
