"""The bell: an agent's notifications in the web app, their count live, and their choices.

The bell in the workspace header fetches its count on load and again whenever the live
channel says something changed (docs/web.md, "Live"); the list marks read in one form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.notify import inbox
from frontdesk.core.notify.records import Delivery, Kind, Preferences
from frontdesk.http.deps import services_from
from frontdesk.web import session
from frontdesk.web.i18n import N_
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render
from frontdesk.web.tickets.workspace import workspace

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
PAGE = 50
LABELS = {  # translated in the templates: _(label(kind))
    Kind.NEW_TICKET: N_("New ticket"),
    Kind.ASSIGNED: N_("Assigned to you"),
    Kind.CUSTOMER_REPLY: N_("The customer replied"),
    Kind.MENTION: N_("You were mentioned"),
    Kind.CHAT_TRANSFER: N_("A chat was transferred to you"),
    Kind.RULE: N_("A rule asks for your attention"),
    Kind.SLA_WARNING: N_("The SLA runs out soon"),
    Kind.SLA_BREACH: N_("The SLA was breached"),
    Kind.MAIL_FAILED: N_("Delivery of a reply failed"),
}


def label(kind: Kind) -> str:
    return LABELS[kind]


@router.get("/notifications/bell", response_class=HTMLResponse)
def bell(request: Request, signed: Signed) -> Response:
    services = services_from(request)
    with services.store.read() as uow:
        unread = inbox.unread(uow, signed.actor, signed.agent.id)
    return render(request, "notify/_bell.html", {"unread": unread})


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, signed: Signed) -> Response:
    services = services_from(request)
    with services.store.read() as uow:
        context = workspace(uow, signed)
        shown = inbox.notifications_of(uow, signed.actor, signed.agent.id, before_id=None,
                                       limit=PAGE)  # fmt: skip
    context.update(shown=shown, what=label, unread=sum(
        1 for item in shown if item.notification.read_at is None))  # fmt: skip
    return render(request, "notify/list.html", context)


@router.post("/notifications/read")
def mark_read(
    request: Request,
    signed: Signed,
    ids: Annotated[list[int], Form(max_length=PAGE)] = [],  # noqa: B006 (FastAPI copies)
) -> Response:
    """The ids given, or all of them when none is."""
    services = services_from(request)
    with services.store.write() as uow:
        inbox.mark_read(uow, signed.actor, signed.agent.id, ids or None)
    return RedirectResponse("/notifications", status_code=303)


@router.get("/notifications/settings", response_class=HTMLResponse)
def settings(request: Request, signed: Signed) -> Response:
    services = services_from(request)
    with services.store.read() as uow:
        context = workspace(uow, signed)
        chosen = inbox.preferences_of(uow, signed.actor, signed.agent.id)
    context.update(settings_area(signed))  # one of the agent's own settings pages
    context.update(chosen=chosen, kinds=list(Kind), deliveries=list(Delivery), what=label)
    return render(request, "notify/settings.html", context)


@router.post("/notifications/settings")
def save_settings(
    request: Request,
    signed: Signed,
    web: Annotated[list[Kind], Form(max_length=len(Kind))] = [],  # noqa: B006
    email: Annotated[list[Kind], Form(max_length=len(Kind))] = [],  # noqa: B006
    delivery: Annotated[Delivery, Form()] = Delivery.INSTANT,
) -> Response:
    services = services_from(request)
    chosen = Preferences(frozenset(web), frozenset(email), delivery)
    with services.store.write() as uow:
        inbox.set_preferences(uow, signed.actor, signed.agent.id, chosen)
    return RedirectResponse("/notifications/settings?saved=1", status_code=303)
