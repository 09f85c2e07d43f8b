"""The reports dashboard: a period, an inbox, an agent and a calendar chosen in a form
(GET, so a report is a link), the figures of core.automation.reports drawn as
server-rendered SVG charts, and the same figures as CSV."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response, StreamingResponse

from frontdesk.core.automation import reports, service_levels
from frontdesk.core.automation.reports import Report, ReportQuery
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.http.cells import csv_line
from frontdesk.web import forms, i18n, session, words
from frontdesk.web.security import web_router
from frontdesk.web.templating import render
from frontdesk.web.tickets.workspace import workspace

router = web_router()
DEFAULT_DAYS = 30
CHART_WIDTH, CHART_HEIGHT = 720, 160


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


def bars(points: Sequence[tuple[str, int]], *, width: int = CHART_WIDTH,
         height: int = CHART_HEIGHT) -> list[Bar]:  # fmt: skip
    """Bar geometry for an SVG of `width` x `height` (the tallest bar fills it)."""
    if not points:
        return []
    top = max((value for _, value in points), default=0) or 1
    slot = width / len(points)
    gap = min(2.0, slot / 4)
    return [
        Bar(x=round(index * slot + gap / 2, 2), y=round(height - value / top * height, 2),
            width=round(slot - gap, 2), height=round(value / top * height, 2),
            label=label, value=value)
        for index, (label, value) in enumerate(points)
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chosen:
    """The form as given (strings, to show back) and the query it means."""

    start: str
    end: str
    inbox: str
    agent: str
    calendar: str


def _chosen(request: Request, own: str = "") -> Chosen:
    """`own`: the agent id an agent's report is narrowed to when they chose none."""
    params = request.query_params
    today = datetime.now(i18n.active().time_zone).date()
    return Chosen(
        start=params.get("start") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        end=params.get("end") or today.isoformat(),
        inbox=params.get("inbox", ""),
        agent=params.get("agent", "") or own,
        calendar=params.get("calendar", ""),
    )


def _own(signed: SignedIn) -> str:
    """Owners and admins see everyone's figures; an agent theirs (core reports.scoped)."""
    return "" if accounts.administers(signed.actor) else str(signed.agent.id)


def _agent_choices(signed: SignedIn, context: dict[str, Any]) -> list[tuple[str, str]]:
    if _own(signed):
        return [(str(signed.agent.id), signed.agent.name)]
    return [("", i18n.gettext("Everyone")), *words.agent_options(context["team"])]


def _id(text: str, field: str) -> int | None:
    return forms.form_id(text, field) if text else None


def query_of(chosen: Chosen) -> ReportQuery:
    """The period's first and last days are whole local days of the viewer's zone."""
    zone = i18n.active().time_zone
    # Each day on its own, so a bad one is that field's error and a backwards period is
    # the core's (reports._checked) to refuse.
    start = forms.day_window(chosen.start[:10], chosen.start[:10], "start", zone).start
    last = forms.day_window(chosen.end[:10], chosen.end[:10], "end", zone).end
    assert start is not None  # _chosen fills in an empty day
    assert last is not None
    return ReportQuery(
        start=start, end=last + 1, zone=zone.key,
        inbox_id=_id(chosen.inbox, "inbox"), agent_id=_id(chosen.agent, "agent"),
        calendar_id=_id(chosen.calendar, "calendar"),
    )  # fmt: skip


@router.get("/reports", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    error: Invalid | NotFound | Forbidden | None = None
    with session.reading(request) as (uow, signed):
        chosen = _chosen(request, _own(signed))
        context = workspace(uow, signed)
        context.update(
            chosen=chosen,
            agent_choices=_agent_choices(signed, context),
            own_only=bool(_own(signed)),
            inbox_choices=[(str(i.id), i.name) for i in accounts.list_inboxes(uow, signed.actor)],
            calendar_choices=[
                (str(c.id), c.name) for c in service_levels.list_calendars(uow, signed.actor)
            ],
        )
        try:
            context["report"] = reports.report(uow, signed.actor, query_of(chosen))
        except (Invalid, NotFound, Forbidden) as exc:  # shown on the form, still usable
            error, context["report"] = exc, None
    context.update(
        error=error, charts=_charts(context["report"]), csv_url=_csv_url(request),
        duration=duration, chart_width=CHART_WIDTH, chart_height=CHART_HEIGHT,
    )  # fmt: skip
    status = 200 if error is None else _STATUS.get(type(error), 422)
    return render(request, "reports/dashboard.html", context, status_code=status)


_STATUS = {NotFound: 404, Forbidden: 403}


def duration(ms: int | None) -> str:
    """A time span in words of the viewer's language ("2 hr"), rounded as Babel does."""
    if ms is None:
        return "\N{EN DASH}"  # nothing to measure
    delta = timedelta(milliseconds=ms)
    return format_timedelta(delta, granularity="minute", format="short",
                            locale=i18n.active().locale)  # fmt: skip


def _csv_url(request: Request) -> str:
    query = request.url.query
    return "/reports.csv" + (f"?{query}" if query else "")


def _charts(report: Report | None) -> dict[str, Any]:
    if report is None:
        return {}
    return {
        "created": bars([(day, made) for day, made, _ in report.days]),
        "solved": bars([(day, done) for day, _, done in report.days]),
        "hours": bars([(f"{hour:02d}", n) for hour, n in enumerate(report.busiest_hours)]),
        "backlog": bars([(words.status_name(s.value), n) for s, n in report.backlog], width=360),
    }


@router.get("/reports.csv")
def export(request: Request) -> Response:
    with session.reading(request) as (uow, signed):
        chosen = _chosen(request, _own(signed))
        found = reports.report(uow, signed.actor, query_of(chosen))
    name = f"frontdesk-report-{chosen.start}-{chosen.end}.csv"
    return StreamingResponse(
        _csv_lines(found), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


def _csv_lines(found: Report) -> Iterator[str]:
    """Long format, one figure a line: section, key, value (times in seconds)."""
    yield csv_line(["section", "key", "value"])
    for row in _csv_rows(found):
        yield csv_line(row)


def _seconds(ms: int | None) -> str:
    return "" if ms is None else str(ms // 1000)


def _csv_rows(found: Report) -> Iterator[tuple[str, str, str]]:
    yield ("summary", "created", str(found.created))
    yield ("summary", "solved", str(found.solved))
    for name, spread in (("first_response", found.first_response),
                         ("resolution", found.resolution)):  # fmt: skip
        yield ("summary", f"{name}_count", str(spread.count))
        yield ("summary", f"{name}_median_seconds", _seconds(spread.median))
        yield ("summary", f"{name}_p90_seconds", _seconds(spread.p90))
    yield ("summary", "sla_covered", str(found.sla_covered))
    yield ("summary", "sla_attained", str(found.sla_attained))
    rated = found.satisfaction
    yield ("summary", "csat_responses", str(rated.responses))
    for rating, count in (("great", rated.great), ("okay", rated.okay), ("bad", rated.bad)):
        yield ("csat", rating, str(count))
    for day, made, done in found.days:
        yield ("created_by_day", day, str(made))
        yield ("solved_by_day", day, str(done))
    for hour, count in enumerate(found.busiest_hours):
        yield ("customer_messages_by_hour", f"{hour:02d}", str(count))
    for status, count in found.backlog:
        yield ("backlog", status.value, str(count))
