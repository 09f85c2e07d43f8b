"""SLA settings in the web app: business-hours calendars and SLA policies, listed for
every agent and added or deleted by owners and admins. A minimal screen in the manner of
/settings/canned until the settings area's own layout lands; changing one is deleting it
and adding it again (the native API has PUT). Bad input answers as the canned screen's
does: the core's error, as the web's error page (422, 404, 409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.calendars import format_span
from frontdesk.core.automation.records import BusinessCalendar
from frontdesk.core.automation.sla import Metric, Targets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.records import Priority
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import i18n, session
from frontdesk.web.forms import form_id
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
PATH = "/settings/sla"


def _hours_text(calendar: BusinessCalendar) -> dict[int, str]:
    found: dict[int, list[str]] = {}
    for span in calendar.calendar.spans:
        found.setdefault(span.weekday, []).append(format_span(span))
    return {day: ", ".join(spans) for day, spans in found.items()}


@router.get(PATH, response_class=HTMLResponse)
def settings_page(request: Request, signed: Signed) -> Response:
    with services_from(request).store.read() as uow:
        context = settings_area(signed)
        calendars = sl.list_calendars(uow, signed.actor)
        context.update(
            calendars=calendars,
            hours_of={c.id: _hours_text(c) for c in calendars},
            policies=sl.list_policies(uow, signed.actor),
            inboxes={i.id: i.name for i in accounts.list_inboxes(uow, signed.actor)},
            # A new calendar starts in the account's zone, else the installation's.
            zone=accounts.get_account(uow, signed.actor.account_id).time_zone
            or i18n.DEFAULT_TIME_ZONE,
        )
    context.update(may_change=accounts.administers(signed.actor), priorities=list(Priority),
                   metrics=list(Metric))  # fmt: skip
    return render(request, "settings/sla.html", context)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post(f"{PATH}/calendars")
async def add_calendar(request: Request, signed: Signed) -> Response:
    form = await _form(request)
    hours = {day: form.get(f"hours-{day}", "") for day in range(7)}
    holidays = [part.strip() for part in form.get("holidays", "").replace("\n", ",").split(",")]
    fields = sl.CalendarFields(
        name=form.get("name", ""), zone=form.get("zone", ""),
        hours={day: text for day, text in hours.items() if text.strip()},
        holidays=[day for day in holidays if day],
    )  # fmt: skip
    with services_from(request).store.write() as uow:
        sl.create_calendar(uow, signed.actor, fields)
    return RedirectResponse(PATH, status_code=303)


@router.post(f"{PATH}/calendars/{{calendar_id}}/delete")
def delete_calendar(request: Request, calendar_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        sl.delete_calendar(uow, signed.actor, calendar_id)
    return RedirectResponse(PATH, status_code=303)


def _minutes(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 7:
        raise Invalid("invalid_number", "Targets are whole minutes", field=field)
    return int(text)


def _targets(form: dict[str, str]) -> dict[Priority, Targets]:
    targets = {}
    for priority in Priority:
        values = [_minutes(form.get(f"{priority.value}-{m.value}", ""), m.value) for m in Metric]
        if any(value is not None for value in values):
            targets[priority] = Targets(*values)
    return targets


@router.post(f"{PATH}/policies")
async def add_policy(request: Request, signed: Signed) -> Response:
    form = await _form(request)
    choice = {key: form_id(form[key], key) if form.get(key) else None
              for key in ("calendar", "inbox")}  # fmt: skip
    fields = sl.PolicyFields(
        name=form.get("name", ""), targets=_targets(form), calendar_id=choice["calendar"],
        inbox_id=choice["inbox"], label=form.get("label") or None,
        warn_minutes=_minutes(form.get("warn", ""), "warn_minutes") or 0,
        position=_minutes(form.get("position", ""), "position") or 0,
    )  # fmt: skip
    with services_from(request).store.write() as uow:
        sl.create_policy(uow, signed.actor, fields)
    return RedirectResponse(PATH, status_code=303)


@router.post(f"{PATH}/policies/{{policy_id}}/delete")
def delete_policy(request: Request, policy_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        sl.delete_policy(uow, signed.actor, policy_id)
    return RedirectResponse(PATH, status_code=303)
