"""Canned responses in the web app: a small settings screen, and the suggestions that
`/word` in a reply box (chat console, ticket page) asks for, with placeholders filled
for that chat's visitor or that ticket's requester and the signed-in agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import chat
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.tickets import canned
from frontdesk.core.tickets.records import CannedResponse
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session, words
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Shortcut = Annotated[str, Form(max_length=canned.MAX_SHORTCUT * 2)]
Body = Annotated[str, Form(max_length=canned.MAX_CANNED_BODY * 2)]
Typed = Annotated[str, Query(max_length=200)]
PublicId = Annotated[str, Path(pattern=r"^V[0-9]{1,30}$")]


@router.get("/settings/canned", response_class=HTMLResponse)
def settings_page(request: Request, signed: Signed) -> Response:
    with services_from(request).store.read() as uow:
        context = settings_area(signed)
        context["canned"] = canned.listed(uow, signed.actor)
    context["may_change"] = canned.may_change(signed.actor)
    return render(request, "settings/canned.html", context)


@router.post("/settings/canned")
def create(request: Request, signed: Signed, shortcut: Shortcut, body: Body) -> Response:
    with services_from(request).store.write() as uow:
        canned.create(uow, signed.actor, canned.CannedText(shortcut, body))
    return RedirectResponse("/settings/canned", status_code=303)


@router.post("/settings/canned/{canned_id}")
def update(
    request: Request, canned_id: PathId, signed: Signed, shortcut: Shortcut, body: Body
) -> Response:
    with services_from(request).store.write() as uow:
        canned.update(uow, signed.actor, canned_id, canned.CannedText(shortcut, body))
    return RedirectResponse("/settings/canned", status_code=303)


@router.post("/settings/canned/{canned_id}/delete")
def delete(request: Request, canned_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        canned.delete(uow, signed.actor, canned_id)
    return RedirectResponse("/settings/canned", status_code=303)


@router.get("/chats/{public_id}/canned", response_class=HTMLResponse)
def for_chat(request: Request, public_id: PublicId, signed: Signed, q: Typed = "") -> Response:
    with services_from(request).store.read() as uow:
        conversation = chat.get_conversation(uow, signed.actor, public_id)
        found = canned.suggestions(uow, signed.actor, q)
    return _offer(request, signed, found, words.visitor_name(conversation))


@router.get("/tickets/{ticket_id}/canned", response_class=HTMLResponse)
def for_ticket(request: Request, ticket_id: PathId, signed: Signed, q: Typed = "") -> Response:
    with services_from(request).store.read() as uow:
        name = canned.requester_name(uow, signed.actor, ticket_id)
        found = canned.suggestions(uow, signed.actor, q)
    return _offer(request, signed, found, name)


def _offer(
    request: Request, signed: SignedIn, found: list[CannedResponse], visitor: str
) -> Response:
    offers = [
        (item, canned.fill(item.body, visitor_name=visitor, agent_name=signed.agent.name))
        for item in found
    ]
    return render(request, "settings/_canned_offers.html", {"offers": offers})
