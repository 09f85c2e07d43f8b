"""Settings, Audit log: who changed what and when, from the events the core records;
filtered by agent, object and days, and exported as CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.responses import Response

from frontdesk.core.automation import feed
from frontdesk.core.automation.records import FeedEvent, FeedQuery
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.http.cells import csv_line
from frontdesk.http.deps import services_from
from frontdesk.web import i18n, session
from frontdesk.web.forms import day_window, form_id
from frontdesk.web.i18n import N_
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Word = Annotated[str, Query(max_length=40)]
PAGE = 50
CSV_PAGE = 500
CSV_MAX = 50_000  # rows in one export; narrow the filters for more

# The objects an admin filters by: each is an area of event kinds (`area.*`).
OBJECTS = (
    ("ticket", N_("Tickets")),
    ("agent", N_("Agents")),
    ("inbox", N_("Inboxes")),
    ("mail", N_("Mail")),
    ("chat", N_("Chats")),
    ("credential", N_("API keys")),
    ("session", N_("Sign-ins")),
    ("settings", N_("Account")),
    ("category", N_("Categories")),
    ("department", N_("Departments")),
    ("custom_field", N_("Custom fields")),
    ("label", N_("Labels")),
)


@dataclass(frozen=True)
class Filters:
    """The audit log's filters as the query string carries them (page and export alike)."""

    agent: str = ""
    object: str = ""
    start: str = ""
    end: str = ""


def _filters(agent: Word = "", object: Word = "", start: Word = "", end: Word = "") -> Filters:
    return Filters(agent, object, start, end)


Filtered = Annotated[Filters, Depends(_filters)]


def _query(request: Request, filters: Filters) -> FeedQuery:
    zone = i18n.for_request(request).time_zone
    window = day_window(filters.start, filters.end, "day", zone)
    kinds = (f"{filters.object}.*",) if filters.object in dict(OBJECTS) else ()
    who = f"agent:{form_id(filters.agent, 'agent')}" if filters.agent else None
    return FeedQuery(kinds=kinds, since=window.start, until=window.end, actor=who, limit=PAGE)


@router.get("/settings/audit", response_class=HTMLResponse)
def audit_page(request: Request, signed: Signed, filters: Filtered, before: Word = "") -> Response:
    context = admin_area(signed)
    query = _query(request, filters)
    if before:
        query = replace(query, before_id=form_id(before, "before"))
    with services_from(request).store.read() as uow:
        page = feed.audit_log(uow, signed.actor, query)
        team = accounts.list_agents(uow, signed.actor)
    context.update(
        events=page.items, more=page.more, team=team, objects=OBJECTS, filters=asdict(filters),
        names={f"agent:{person.id}": person.name for person in team},
        older=page.items[-1].id if page.more and page.items else None, details=details,
    )  # fmt: skip
    return render(request, "settings/audit.html", context)


@router.get("/settings/audit.csv")
def audit_csv(request: Request, signed: Signed, filters: Filtered) -> Response:
    admin_area(signed)
    query = replace(_query(request, filters), limit=CSV_PAGE)
    services = services_from(request)
    with services.store.read() as uow:
        names = {f"agent:{a.id}": a.name for a in accounts.list_agents(uow, signed.actor)}
        first = feed.audit_log(uow, signed.actor, query)  # refuses an agent before streaming

    def pages() -> Iterator[list[FeedEvent]]:
        page, sent = first, 0
        while True:
            yield page.items
            sent += len(page.items)
            if not page.more or not page.items or sent >= CSV_MAX:
                return
            with services.store.read() as uow:
                page = feed.audit_log(
                    uow, signed.actor, replace(query, before_id=page.items[-1].id)
                )

    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"',
               "Cache-Control": "no-store"}  # fmt: skip
    return StreamingResponse(
        _csv(pages(), names), media_type="text/csv; charset=utf-8", headers=headers
    )


def _csv(pages: Iterator[list[FeedEvent]], names: dict[str, str]) -> Iterator[str]:
    yield csv_line(["time_utc", "who", "actor", "what", "ticket_id", "details"])
    for items in pages:
        for event in items:
            yield csv_line([
                datetime.fromtimestamp(event.created / 1000, tz=UTC).isoformat(timespec="seconds"),
                names.get(event.actor, ""), event.actor, event.kind,
                str(event.ticket_id or ""), json.dumps(event.data, ensure_ascii=False, default=str),
            ])  # fmt: skip


def details(event: FeedEvent) -> str:
    """The event's data as `key=value` pairs, for the page."""
    return ", ".join(f"{key}={value}" for key, value in sorted(event.data.items()))[:300]
