"""The agents' chat console: the queue board, one conversation, and its actions.

Every action is a plain form posting to its own path (it works without JavaScript), one
core call in one transaction as the signed-in agent, then a redirect back to the
conversation (303); an htmx post gets 204, because the live channel already tells every
console, this one included, to re-fetch what changed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import chat
from frontdesk.core.chat import console, handoff, presence, routing
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid
from frontdesk.http.deps import services_from
from frontdesk.web import session
from frontdesk.web.forms import comma_words, form_id
from frontdesk.web.security import web_router
from frontdesk.web.templating import render, wants_fragment
from frontdesk.web.tickets.workspace import workspace

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
PublicId = Annotated[str, Path(pattern=r"^V[0-9]{1,30}$")]
Text = Annotated[str, Form(max_length=chat.MAX_TEXT * 2)]  # the core says what is too long
Words = Annotated[str, Form(max_length=20_000)]
Ref = Annotated[str, Form(max_length=64)]
PARTS = (None, "board", "transcript", "side")


def _context(uow: Any, signed: SignedIn, public_id: str | None) -> dict[str, Any]:
    context = workspace(uow, signed)
    desk = console.chat_desk(uow, signed.actor, public_id) if public_id else None
    board = console.board(uow, signed.actor, signed.agent.id)
    context.update(
        team_status=presence.team(uow, signed.actor),
        away_after=presence.AWAY_AFTER,
        heartbeat=presence.HEARTBEAT,
        board=board,
        offers=routing.offers(uow, signed.actor, board.waiting),
        desk=desk,
        visitor_tickets=handoff.tickets_of_visitor(uow, signed.actor, desk.email_hint)
        if desk
        else [],
        open_id=public_id or "",
    )
    return context


def _show(request: Request, signed: SignedIn, public_id: str | None) -> Response:
    part = request.query_params.get("part")
    if part not in PARTS or (public_id is None and part not in (None, "board")):
        raise Invalid("invalid_part", "No such part of the page", field="part")
    with services_from(request).store.read() as uow:
        context = _context(uow, signed, public_id)
    return render(request, "chats/console.html", context, fragment=part)


@router.get("/chats", response_class=HTMLResponse)
def board(request: Request, signed: Signed) -> Response:
    return _show(request, signed, None)


@router.post("/chats/status")
def choose_status(
    request: Request, signed: Signed, status: Annotated[str, Form(max_length=10)]
) -> Response:
    with services_from(request).store.write() as uow:
        presence.choose(uow, signed.actor, signed.agent.id, status)
    if wants_fragment(request):
        return Response(status_code=204)
    return RedirectResponse("/chats", status_code=303)


@router.post("/chats/heartbeat")
def heartbeat(
    request: Request,
    signed: Signed,
    tab: Annotated[str, Form(max_length=64)],
    active: Annotated[bool, Form()] = True,
    gone: Annotated[bool, Form()] = False,
) -> Response:
    """A console tab is open (and used lately, or not), or has just closed."""
    with services_from(request).store.write() as uow:
        if gone:
            presence.tab_closed(uow, signed.actor, signed.agent.id, tab)
        else:
            presence.heartbeat(uow, signed.actor, signed.agent.id, tab, active)
    return Response(status_code=204)


@router.get("/chats/{public_id}", response_class=HTMLResponse)
def conversation(request: Request, public_id: PublicId, signed: Signed) -> Response:
    return _show(request, signed, public_id)


def _back(request: Request, public_id: str) -> Response:
    if wants_fragment(request):
        return Response(status_code=204)
    return RedirectResponse(f"/chats/{public_id}", status_code=303)


@router.post("/chats/{public_id}/ticket")
def to_ticket(
    request: Request,
    public_id: PublicId,
    signed: Signed,
    requester_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Create a ticket from the chat's transcript, and open it."""
    with services_from(request).store.write() as uow:
        ticket = handoff.ticket_from_chat(
            uow, signed.actor, public_id, signed.agent.id, requester_email
        )
    return RedirectResponse(f"/tickets/{ticket.id}", status_code=303)


@router.post("/chats/{public_id}/typing")
def typing(
    request: Request, public_id: PublicId, signed: Signed, typing: Annotated[bool, Form()] = True
) -> Response:
    """The agent types in the reply box (or stopped): the visitor's widget is told.

    Not data: nothing is written; the notice goes out on the fan-out to every process."""
    services = services_from(request)
    with services.store.read() as uow:
        conversation = chat.get_conversation(uow, signed.actor, public_id)
    services.fanout.publish(chat.typing_notice(conversation, typing, signed.agent))
    return Response(status_code=204)


def _as_agent(request: Request, signed: SignedIn, public_id: str, action: Any) -> Response:
    """An action that needs only the chat and the acting agent (join, close)."""
    with services_from(request).store.write() as uow:
        action(uow, signed.actor, public_id, signed.agent.id)
    return _back(request, public_id)


@router.post("/chats/{public_id}/join")
def join(request: Request, public_id: PublicId, signed: Signed) -> Response:
    return _as_agent(request, signed, public_id, chat.join)


@router.post("/chats/{public_id}/reply")
def reply(
    request: Request, public_id: PublicId, signed: Signed, text: Text, ref: Ref = ""
) -> Response:
    """`ref` (the console's own tag of the message): sent again, the reply is not doubled."""
    with services_from(request).store.write() as uow:
        chat.agent_reply(uow, signed.actor, public_id, signed.agent.id, text, ref or None)
    return _back(request, public_id)


@router.post("/chats/{public_id}/transfer")
def transfer(
    request: Request,
    public_id: PublicId,
    signed: Signed,
    to_agent: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=chat.MAX_NOTE * 2)] = "",  # the core says too long
) -> Response:
    to = form_id(to_agent, "to_agent")
    with services_from(request).store.write() as uow:
        chat.transfer(uow, signed.actor, public_id, signed.agent.id, to, note)
    return _back(request, public_id)


@router.post("/chats/{public_id}/close")
def close(request: Request, public_id: PublicId, signed: Signed) -> Response:
    return _as_agent(request, signed, public_id, chat.close)


@router.post("/chats/{public_id}/tags")
def set_tags(request: Request, public_id: PublicId, signed: Signed, tags: Words = "") -> Response:
    with services_from(request).store.write() as uow:
        chat.set_tags(uow, signed.actor, public_id, comma_words(tags))
    return _back(request, public_id)


@router.post("/chats/{public_id}/labels")
def set_labels(
    request: Request, public_id: PublicId, signed: Signed, labels: Words = ""
) -> Response:
    with services_from(request).store.write() as uow:
        chat.set_labels(uow, signed.actor, public_id, comma_words(labels))
    return _back(request, public_id)
