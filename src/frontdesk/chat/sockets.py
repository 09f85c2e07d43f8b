"""The two chat websockets: `/chat/ws/visitor` (the widget) and `/chat/ws/agent`.

What each side may send and what it is answered is in chat/protocol.py and docs/chat.md;
the connection itself (limits, ordered delivery, resume) is chat/link.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, WebSocket

from frontdesk.chat import offline
from frontdesk.chat import protocol as p
from frontdesk.chat.admission import (
    ChatLimits,
    admission,
    challenge,
    check_proof,
    conversation_allowed,
)
from frontdesk.chat.hub import Subscriber
from frontdesk.chat.link import Link, Outcome, run, serve_frames
from frontdesk.chat.protocol import Close, ClosedBy
from frontdesk.chat.visitor_info import describe
from frontdesk.core import chat
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import ChatSettings, ChatStatus, Conversation, WidgetAvailability
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.clock import iso_ms, now_ms
from frontdesk.core.shared.errors import Invalid, RateLimited, Unauthenticated
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.auth import authenticated
from frontdesk.services import Services

log = logging.getLogger(__name__)
router = APIRouter()
MAX_FOLLOW = 300  # conversations an agent hello may resume (and still fit in one frame)
OPEN = (ChatStatus.WAITING, ChatStatus.ACTIVE)  # the chats an agent socket lists


# -- the visitor's socket ------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitorStart:
    conversation: Conversation
    token: str | None  # set when the conversation is new
    agent_name: str | None
    agent_picture: str | None
    rateable: bool  # the last chat ended, was answered and has no rating yet
    availability: WidgetAvailability
    settings: ChatSettings


@router.websocket("/chat/ws/visitor")
async def visitor_socket(websocket: WebSocket) -> None:
    await run(websocket, _visitor)


async def _visitor(link: Link) -> None:
    hello = await link.hello()
    services = link.services
    user_agent = link.ws.headers.get("user-agent")
    address = link.ws.client.host if link.ws.client else None
    limits: ChatLimits = link.ws.app.state.chat_limits
    await to_thread.run_sync(link.hub.ensure_started)
    presence = link.hub.connected_agents
    try:
        after_id = p.integer(hello, "lastId")
        start = await to_thread.run_sync(
            lambda: _visitor_hello(services, limits, hello, user_agent, address, presence)
        )
    except Invalid as exc:
        raise ClosedBy(Close.BAD_HELLO, exc.message) from None
    conversation = start.conversation
    link.start(Subscriber(asyncio.get_running_loop(), conversation.account_id))
    welcome: dict[str, Any] = {
        "type": "welcome",
        "conversationId": conversation.public_id,
        "status": conversation.status.value,
        "agent": (
            {"id": conversation.agent_id, "name": start.agent_name, "picture": start.agent_picture}
            if conversation.agent_id
            else None
        ),
        "visitorName": conversation.visitor_name,
        "resumed": start.token is None,
        "rateable": start.rateable,
        "availability": _availability_fields(start.availability),
        "widget": _widget_fields(start.settings),
    }
    if start.token is not None:
        welcome["token"] = start.token
        after_id = 0  # a new conversation: whatever id the client had means nothing here
    if limits.proof_bits and conversation.verified is None:
        welcome["proof"] = _challenge(services, conversation.public_id, limits.proof_bits)
    link.queue(welcome)
    link.follow(conversation.id, conversation.public_id, after_id)
    actor = chat.visitor_actor(conversation)
    public_id = conversation.public_id
    # The place in the queue is pushed when another chat of the account changes state.
    link.set_waiting(conversation.status is ChatStatus.WAITING)
    link.read_place = lambda: _visitor_availability(services, actor, public_id, presence).frame
    admit = admission(limits, address or "unknown", f"account:{conversation.account_id}")

    def handle(frame: dict[str, Any]) -> Callable[[], Outcome]:
        kind = frame["type"]
        if kind == "proof":
            return lambda: _visitor_proof(services, limits, actor, public_id, frame)
        if kind == "offline":
            return lambda: Outcome(offline.leave_message(services, actor, public_id, frame, admit))
        if kind == "availability":
            return lambda: _visitor_availability(services, actor, public_id, presence)
        if kind == "typing":
            return lambda: _typing(
                link, actor.account_id, conversation.id, public_id, _typing_value(frame)
            )
        return lambda: _visitor_command(services, actor, public_id, frame, admit)

    await serve_frames(link, handle)


def _typing_value(frame: dict[str, Any]) -> bool:
    """`typing`: true (the default) or false; anything else is a bad frame, not a guess."""
    typing = frame.get("typing", True)
    if not isinstance(typing, bool):
        raise Invalid("bad_frame", "typing must be true or false", field="typing")
    return typing


def _typing(
    link: Link, account_id: int, conversation_id: int, public_id: str, typing: bool, **who: Any
) -> Outcome:
    """Typing (or stopped): published to the other side at once, never stored."""
    who = who or {"who": "visitor"}
    link.hub.typing(account_id, conversation_id, public_id, typing=typing, **who)
    return Outcome({"type": "ack"})


def _challenge(services: Services, public_id: str, bits: int) -> dict[str, Any]:
    secret = services.settings.secret_key
    return {"challenge": challenge(secret, public_id, now_ms()), "bits": bits}


def _visitor_proof(
    services: Services, limits: ChatLimits, actor: Actor, public_id: str, frame: dict[str, Any]
) -> Outcome:
    """The widget's answer to its challenge; a wrong or stale one gets a fresh challenge."""
    try:
        check_proof(
            services.settings.secret_key,
            public_id,
            p.text(frame, "challenge") or "",
            p.text(frame, "nonce") or "",
            limits.proof_bits,
            now_ms(),
        )
    except Invalid as exc:
        fresh = _challenge(services, public_id, limits.proof_bits)
        return Outcome({"type": "error", "code": exc.code, "message": exc.message, "proof": fresh})
    with services.store.write() as uow:
        chat.prove_browser(uow, actor, public_id)
    return Outcome({"type": "verified"})


def _visitor_hello(
    services: Services,
    limits: ChatLimits,
    hello: dict[str, Any],
    user_agent: str | None,
    address: str | None,
    presence: Callable[[int], set[int]],
) -> VisitorStart:
    widget = p.text(hello, "widget") or ""
    public_id = p.text(hello, "conversationId", required=False) or ""
    token = p.text(hello, "token", required=False) or ""
    page = p.text(hello, "page", required=False)
    referrer = p.text(hello, "referrer", required=False)
    with services.store.write() as uow:
        account = uow.accounts.account_by_public_id(widget[:40])
        if account is None:
            raise ClosedBy(Close.UNKNOWN_WIDGET, "No account has this widget id")
        resumed = chat.resume_conversation(uow, account.id, public_id[:40], token)
        if resumed is not None:
            chat.visit(uow, chat.visitor_actor(resumed), resumed.public_id, page)
            conversation = uow.chat.get_conversation_by_id(resumed.id) or resumed
            fresh_token = None
        else:
            wait = conversation_allowed(limits, address or "unknown")
            if wait > 0:
                raise ClosedBy(Close.RATE_LIMITED, "Too many new conversations; try again later")
            info = describe(user_agent=user_agent, referrer=referrer, page=page, address=address)
            opened = chat.open_conversation(uow, account.id, info, page)
            conversation, fresh_token = opened.conversation, opened.token
        agent = (
            uow.accounts.get_agent(account.id, conversation.agent_id)
            if conversation.agent_id
            else None
        )
        rateable = chat.can_rate(uow, conversation)
        actor = chat.visitor_actor(conversation)
        available = chat.availability(uow, actor, conversation.public_id, presence(account.id))
        settings = chat.chat_settings(uow, account.id)
    return VisitorStart(
        conversation,
        fresh_token,
        agent.name if agent else None,
        agent.picture_url if agent else None,
        rateable,
        available,
        settings,
    )


def _visitor_availability(
    services: Services, actor: Actor, public_id: str, presence: Callable[[int], set[int]]
) -> Outcome:
    """Asked by a waiting widget now and then, and by one showing the offline form."""
    with services.store.read() as uow:
        found = chat.availability(uow, actor, public_id, presence(actor.account_id))
    return Outcome({"type": "availability", **_availability_fields(found)})


def _availability_fields(found: WidgetAvailability) -> dict[str, Any]:
    return {"agentsOnline": found.agents_online, "queuePosition": found.queue_position}


def _widget_fields(settings: ChatSettings) -> dict[str, Any]:
    """What the widget shows of the account's settings (never the inbox)."""
    return {
        "teamName": settings.team_name,
        "color": settings.color,
        "position": settings.position,
        "texts": {
            language: {"greeting": words.greeting, "offline": words.offline}
            for language, words in settings.texts
        },
    }


def _visitor_command(
    services: Services,
    actor: Actor,
    public_id: str,
    frame: dict[str, Any],
    admit: Callable[[Conversation], None],
) -> Outcome:
    kind = frame["type"]
    with services.store.write() as uow:
        if kind == "message":
            ref = p.ref_of(frame)
            message = chat.post_visitor_message(
                uow,
                actor,
                public_id,
                p.text(frame, "text") or "",
                client_ref=ref if isinstance(ref, str) else None,
                admit=admit,
            )
            return Outcome({"type": "ack", "id": message.id})
        if kind == "page":
            url = p.text(frame, "url") or ""
            chat.visit(uow, actor, public_id, url, kind="pageChange")
        elif kind == "name":
            chat.change_name(uow, actor, public_id, p.text(frame, "name") or "")
        elif kind == "card":
            data_id = frame.get("id")
            if isinstance(data_id, int) and not isinstance(data_id, bool):
                data_id = str(data_id)
            frame = {**frame, "id": data_id}
            chat.insert_card(
                uow, actor, public_id, p.text(frame, "id") or "", p.text(frame, "data") or ""
            )
        elif kind == "tag":
            chat.add_tag(uow, actor, public_id, p.text(frame, "tag") or "")
        elif kind == "label":
            chat.add_label(uow, actor, public_id, p.text(frame, "label") or "")
        elif kind == "rate":
            chat.rate(uow, actor, public_id, p.integer(frame, "rating"))
        elif kind == "close":
            chat.close(uow, actor, public_id, None)
        else:
            raise Invalid("unknown_type", f"Unknown frame type {str(kind)[:40]!r}")
    return Outcome({"type": "ack"})


# -- the agent's socket ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentStart:
    actor: Actor
    agent: Agent
    chats: list[dict[str, Any]]
    follows: list[tuple[int, str, int]]


@router.websocket("/chat/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    await run(websocket, _agent)


async def _agent(link: Link) -> None:
    hello = await link.hello()
    services = link.services
    await to_thread.run_sync(link.hub.ensure_started)
    try:
        start = await to_thread.run_sync(lambda: _agent_hello(link.ws, services, hello))
    except Invalid as exc:
        raise ClosedBy(Close.BAD_HELLO, exc.message) from None
    link.agent_id = start.agent.id
    link.start(Subscriber(asyncio.get_running_loop(), start.actor.account_id, start.agent.id))
    link.queue(
        {
            "type": "welcome",
            "agent": {"id": start.agent.id, "name": start.agent.name},
            "chats": start.chats,
        }
    )
    link.shown.update(summary["conversationId"] for summary in start.chats)
    for follow in start.follows:
        link.follow(*follow)
    actor, agent_id = start.actor, start.agent.id

    def handle(frame: dict[str, Any]) -> Callable[[], Outcome]:
        if frame["type"] == "typing":
            return lambda: _agent_typing(link, start, frame)
        return lambda: _agent_command(services, actor, agent_id, frame, dict(link.public_ids))

    await serve_frames(link, handle)


def _agent_typing(link: Link, start: AgentStart, frame: dict[str, Any]) -> Outcome:
    """An agent types in a conversation the socket follows (joined, watched or replied)."""
    public_id = _conversation_of(frame)
    found = [cid for cid, pid in dict(link.public_ids).items() if pid == public_id]
    if not found:
        raise Invalid("not_following", f"This socket does not follow {public_id}")
    who = {"who": "agent", "agent_id": start.agent.id, "agent_name": start.agent.name}
    typing = _typing_value(frame)
    return _typing(link, start.actor.account_id, found[0], public_id, typing, **who)


def _agent_hello(ws: WebSocket, services: Services, hello: dict[str, Any]) -> AgentStart:
    token = p.text(hello, "token") or ""
    agent_id = p.integer(hello, "agentId")
    wanted = hello.get("follow") or {}
    if not isinstance(wanted, dict) or len(wanted) > MAX_FOLLOW:
        raise Invalid("bad_frame", f"follow maps at most {MAX_FOLLOW} conversation ids to ids")
    try:
        actor = authenticated(ws, token, services=services)
    except Unauthenticated as exc:
        raise ClosedBy(Close.UNAUTHENTICATED, exc.message) from None
    except RateLimited as exc:
        raise ClosedBy(Close.RATE_LIMITED, exc.message) from None
    if not (actor.can(Scope.CHAT_READ) and actor.can(Scope.CHAT_WRITE)):
        raise ClosedBy(Close.FORBIDDEN, "The agent socket needs chat:read and chat:write")
    with services.store.write() as uow:
        agent = uow.accounts.get_agent(actor.account_id, agent_id)
        if agent is None:
            raise ClosedBy(Close.FORBIDDEN, f"No agent {agent_id} in this account")
        accounts.agent_seen(uow, actor, agent)
        open_chats = chat.list_chats(uow, actor, OPEN)
        summaries = _summaries(uow, actor, open_chats)
        follows = {c.id: (c.id, c.public_id, 0) for c in open_chats if c.agent_id == agent.id}
        for public_id, last_id in wanted.items():
            found = uow.chat.get_conversation(actor.account_id, str(public_id)[:40])
            if found is None:
                continue
            after = p.integer({"lastId": last_id}, "lastId")
            follows.pop(found.id, None)  # followed after the agent's own, from where asked
            follows[found.id] = (found.id, found.public_id, after)
    return AgentStart(actor, agent, summaries, list(follows.values()))


def _summaries(uow: ChatUnit, actor: Actor, chats: list[Conversation]) -> list[dict[str, Any]]:
    """The chat list an agent socket shows, with each chat's agent named."""
    names = {a.id: a.name for a in uow.accounts.list_agents(actor.account_id)}
    return [
        {
            "conversationId": c.public_id,
            "status": c.status.value,
            "agentId": c.agent_id,
            "agentName": names.get(c.agent_id) if c.agent_id else None,
            "visitorName": c.visitor_name,
            "updated": iso_ms(c.updated),
        }
        for c in chats
    ]


def _conversation_of(frame: dict[str, Any]) -> str:
    public_id = p.text(frame, "conversationId") or ""
    if not public_id:
        raise Invalid("required", "conversationId is required", field="conversationId")
    return public_id[:40]


def _agent_command(
    services: Services,
    actor: Actor,
    agent_id: int,
    frame: dict[str, Any],
    following: dict[int, str],
) -> Outcome:
    kind = frame["type"]
    if kind == "list":
        with services.store.read() as uow:
            summaries = _summaries(uow, actor, chat.list_chats(uow, actor, OPEN))
        listed = tuple(summary["conversationId"] for summary in summaries)
        return Outcome({"type": "chats", "chats": summaries}, shown=listed)
    public_id = _conversation_of(frame)
    with services.store.write() as uow:
        result: dict[str, Any] = {"type": "ack", "conversationId": public_id}
        if kind in ("join", "watch"):
            after = p.integer(frame, "lastId")
            if kind == "join":
                conversation = chat.join(uow, actor, public_id, agent_id)
            else:
                conversation = chat.get_conversation(uow, actor, public_id)
            return Outcome(result, (conversation.id, conversation.public_id, after))
        if kind == "message":
            text, ref = p.text(frame, "text") or "", p.ref_of(frame)
            message = chat.agent_reply(
                uow, actor, public_id, agent_id, text, ref if isinstance(ref, str) else None
            )
            result["id"] = message.id
            follow = None
            if message.conversation_id not in following:
                follow = (message.conversation_id, public_id, 0)
            return Outcome(result, follow)
        if kind == "transfer":
            to_agent = p.integer(frame, "agentId")
            note = p.text(frame, "note", required=False)
            chat.transfer(uow, actor, public_id, agent_id, to_agent, note)
        elif kind == "close":
            chat.close(uow, actor, public_id, agent_id)
        elif kind == "tags":
            chat.set_tags(uow, actor, public_id, _strings(frame, "tags"))
        elif kind == "labels":
            chat.set_labels(uow, actor, public_id, _strings(frame, "labels"))
        else:
            raise Invalid("unknown_type", f"Unknown frame type {str(kind)[:40]!r}")
    return Outcome(result)


def _strings(frame: dict[str, Any], name: str) -> list[str]:
    values = frame.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Invalid("bad_frame", f"{name} must be a list of strings", field=name)
    return values
