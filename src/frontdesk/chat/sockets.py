"""The two chat websockets: `/chat/ws/visitor` (the widget) and `/chat/ws/agent`.

Each socket has one receiving loop (the handler) and one sending task, the only writer
to the socket. Database work runs in worker threads. The sending task delivers messages
in per-conversation order: a message numbered `seq` goes out only after `seq - 1`; when
the hub's delivery skipped one (a lost Redis event, a resync) the missing ones are read
from the database first, and ones already sent are dropped, so a client never sees a
message twice or out of order.

Resuming: the client sends the id of the last message it saw (`lastId`); the server sends
every message of the conversation after it, then live ones. Ids within a conversation
follow commit order (core/chat.py), so nothing that commits later can slip in before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from frontdesk.api.common.auth import actor_for
from frontdesk.chat import protocol as p
from frontdesk.chat.hub import RESYNC, Subscriber
from frontdesk.chat.protocol import Close, ClosedBy
from frontdesk.chat.visitor_info import describe
from frontdesk.core import chat
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import ChatMessage, ChatStatus, Conversation
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.clock import iso_ms
from frontdesk.core.shared.errors import DomainError, Invalid, Unauthenticated
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.services import Services

log = logging.getLogger(__name__)
router = APIRouter()
MAX_FOLLOW = 300  # conversations an agent hello may resume (and still fit in one frame)
OPEN = (ChatStatus.WAITING, ChatStatus.ACTIVE)  # the chats an agent socket lists


@dataclass
class Outcome:
    """What a command answered, and a conversation the socket should start following."""

    frame: dict[str, Any]
    follow: tuple[int, str, int] | None = None  # (conversation id, public id, after id)


@dataclass
class Link:
    """One accepted websocket with its limits, its hub subscription and its sender."""

    ws: WebSocket
    services: Services
    sub: Subscriber | None = None
    last_seq: dict[int, int] = field(default_factory=dict)
    public_ids: dict[int, str] = field(default_factory=dict)
    agent_id: int | None = None
    sender: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        settings = self.services.settings
        self.bucket = p.TokenBucket(settings.chat_frame_rate, settings.chat_frame_burst)
        self.max_bytes = settings.chat_max_frame_bytes

    # -- receiving ---------------------------------------------------------------------------

    async def hello(self) -> dict[str, Any]:
        try:
            frame = await asyncio.wait_for(self.receive(), p.HELLO_TIMEOUT_SECONDS)
        except TimeoutError:
            raise ClosedBy(Close.HELLO_TIMEOUT, "No hello in time") from None
        except Invalid as exc:
            raise ClosedBy(Close.BAD_HELLO, exc.message) from None
        if frame is None:
            raise WebSocketDisconnect(Close.NORMAL)
        if frame["type"] != "hello":
            raise ClosedBy(Close.BAD_HELLO, "The first frame must be a hello")
        return frame

    async def receive(self) -> dict[str, Any] | None:
        """The next frame; None once the client went away. Limits close the socket."""
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            return None
        raw: str | bytes | None = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > self.max_bytes:
            raise ClosedBy(Close.TOO_BIG, f"Frames are at most {self.max_bytes} bytes")
        if not self.bucket.take():
            raise ClosedBy(Close.RATE_LIMITED, "Too many frames; slow down and reconnect")
        if not isinstance(raw, str):
            raise Invalid("bad_frame", "Frames are JSON text, not binary")
        return p.parse_frame(raw)

    # -- sending -----------------------------------------------------------------------------

    def start(self, sub: Subscriber) -> None:
        self.sub = sub
        self.services.chat.add(sub)
        self.sender = asyncio.create_task(self._send_loop())

    def queue(self, frame: dict[str, Any]) -> None:
        assert self.sub is not None
        self.sub.queue.put_nowait({"kind": "frame", "frame": frame})

    def follow(self, conversation_id: int, public_id: str, after_id: int) -> None:
        """Follow a conversation: first what the client missed, then live messages."""
        assert self.sub is not None
        if conversation_id in self.public_ids:
            return
        self.public_ids[conversation_id] = public_id
        self.services.chat.follow(self.sub, conversation_id)
        # Queued in the same step as the subscription: nothing live can queue before it.
        self.sub.queue.put_nowait(
            {"kind": "catch_up", "conversation": conversation_id, "after_id": after_id}
        )

    async def _send_loop(self) -> None:
        assert self.sub is not None
        try:
            while True:
                item = await self.sub.queue.get()
                await self._handle(item)
        except ClosedBy as exc:
            await self.close(exc.code, exc.reason)
        except (WebSocketDisconnect, OSError):
            pass  # the client is gone; the receiving loop ends too
        except Exception:
            # A dead sender must not leave a socket that looks alive: close it, the
            # client reconnects and resumes.
            log.exception("chat socket sender failed")
            await self.close(Close.INTERNAL_ERROR, "Internal error")

    async def _handle(self, item: dict[str, Any]) -> None:
        kind = item.get("kind")
        if kind == "frame":
            await self.send(item["frame"])
        elif kind == "overflow":
            raise ClosedBy(Close.TRY_AGAIN_LATER, "The client fell too far behind; reconnect")
        elif kind == "catch_up":
            await self._catch_up(item["conversation"], after_id=item["after_id"])
        elif kind == chat.MESSAGE_POSTED:
            await self._deliver(item)
        elif kind == RESYNC:
            for conversation_id in list(self.last_seq):
                await self._catch_up(conversation_id, after_seq=self.last_seq[conversation_id])
        elif kind == chat.CHAT_CHANGED:
            await self._chat_changed(item)
        elif kind == chat.VISITOR_CHANGED and self.agent_id is not None:
            change = item.get("change") or {}
            await self.send({"type": "visitor", "conversationId": item["public_id"], **change})

    async def _deliver(self, item: dict[str, Any]) -> None:
        conversation_id = item["conversation"]
        last = self.last_seq.get(conversation_id)
        if last is None:
            return  # not primed yet: its catch-up is queued and will include this
        seq = item["message"]["seq"]
        if seq <= last:
            return
        if seq > last + 1:
            await self._catch_up(conversation_id, after_seq=last)
            return
        self.last_seq[conversation_id] = seq
        await self.send(p.message_frame(item["public_id"], item["message"]))

    async def _catch_up(
        self, conversation_id: int, *, after_id: int = 0, after_seq: int = 0
    ) -> None:
        public_id = self.public_ids.get(conversation_id)
        if public_id is None:
            return
        known, messages = await to_thread.run_sync(
            _read_after, self.services, conversation_id, after_id, after_seq
        )
        last = self.last_seq.get(conversation_id, 0)
        for message in messages:
            if message.seq > last:
                await self.send(p.message_frame(public_id, chat.message_payload(message)))
                last = message.seq
        self.last_seq[conversation_id] = max(last, known)

    async def _chat_changed(self, item: dict[str, Any]) -> None:
        conversation_id = item["conversation"]
        if self.agent_id is None:
            agent = None
            if item.get("agent_id") is not None:
                agent = {"id": item["agent_id"], "name": item.get("agent_name")}
            await self.send({"type": "status", "status": item["status"], "agent": agent})
            return
        await self.send(
            {
                "type": "chat",
                "conversationId": item["public_id"],
                "status": item["status"],
                "agentId": item.get("agent_id"),
                "agentName": item.get("agent_name"),
                "visitorName": item.get("visitor_name"),
            }
        )
        mine = item.get("agent_id") == self.agent_id and item["status"] == ChatStatus.ACTIVE
        if mine and conversation_id not in self.public_ids:
            self.follow(conversation_id, item["public_id"], 0)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_text(p.dumps(frame))

    async def close(self, code: Close, reason: str) -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.ws.close(code=int(code), reason=reason)

    async def stop(self) -> None:
        if self.sender is not None:
            self.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.sender
        if self.sub is not None:
            self.services.chat.remove(self.sub, list(self.public_ids))

    # -- answering ---------------------------------------------------------------------------

    async def answer(self, frame: dict[str, Any], command: Callable[[], Outcome]) -> None:
        """Run a command in a worker thread; queue its answer, or an error frame."""
        ref = p.ref_of(frame)
        try:
            outcome = await to_thread.run_sync(command)
        except DomainError as exc:
            error: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
            if ref is not None:
                error["ref"] = ref
            self.queue(error)
            return
        if outcome.follow is not None:
            self.follow(*outcome.follow)
        if ref is not None:
            outcome.frame["ref"] = ref
        self.queue(outcome.frame)


def _read_after(
    services: Services, conversation_id: int, after_id: int, after_seq: int
) -> tuple[int, list[ChatMessage]]:
    """(the conversation's last number, read first, then the messages after the position)."""
    with services.store.read() as uow:
        conversation = uow.chat.get_conversation_by_id(conversation_id)
        if conversation is None:
            return 0, []
        messages = chat.messages_after(uow, conversation, after_id=after_id, after_seq=after_seq)
        return conversation.last_seq, messages


async def _run(websocket: WebSocket, body: Callable[[Link], Any]) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    link = Link(websocket, services)
    try:
        await body(link)
    except ClosedBy as exc:
        await link.close(exc.code, exc.reason)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("chat socket failed")
        await link.close(Close.INTERNAL_ERROR, "Internal error")
    finally:
        await link.stop()


async def _serve_frames(
    link: Link, handle: Callable[[dict[str, Any]], Callable[[], Outcome]]
) -> None:
    while True:
        try:
            frame = await link.receive()
        except Invalid as exc:
            link.queue({"type": "error", "code": exc.code, "message": exc.message})
            continue
        if frame is None:
            return
        if frame["type"] == "ping":
            link.queue({"type": "pong", **({"ref": p.ref_of(frame)} if "ref" in frame else {})})
            continue
        await link.answer(frame, handle(frame))


# -- the visitor's socket ------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitorStart:
    conversation: Conversation
    token: str | None  # set when the conversation is new
    agent_name: str | None


@router.websocket("/chat/ws/visitor")
async def visitor_socket(websocket: WebSocket) -> None:
    await _run(websocket, _visitor)


async def _visitor(link: Link) -> None:
    hello = await link.hello()
    services = link.services
    user_agent = link.ws.headers.get("user-agent")
    address = link.ws.client.host if link.ws.client else None
    await to_thread.run_sync(services.chat.ensure_started)
    try:
        after_id = p.integer(hello, "lastId")
        start = await to_thread.run_sync(
            lambda: _visitor_hello(services, hello, user_agent, address)
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
            {"id": conversation.agent_id, "name": start.agent_name}
            if conversation.agent_id
            else None
        ),
        "visitorName": conversation.visitor_name,
        "resumed": start.token is None,
    }
    if start.token is not None:
        welcome["token"] = start.token
        after_id = 0  # a new conversation: whatever id the client had means nothing here
    link.queue(welcome)
    link.follow(conversation.id, conversation.public_id, after_id)
    actor = chat.visitor_actor(conversation)
    public_id = conversation.public_id

    def handle(frame: dict[str, Any]) -> Callable[[], Outcome]:
        return lambda: _visitor_command(services, actor, public_id, frame)

    await _serve_frames(link, handle)


def _visitor_hello(
    services: Services, hello: dict[str, Any], user_agent: str | None, address: str | None
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
            info = describe(user_agent=user_agent, referrer=referrer, page=page, address=address)
            opened = chat.open_conversation(uow, account.id, info, page)
            conversation, fresh_token = opened.conversation, opened.token
        agent = (
            uow.accounts.get_agent(account.id, conversation.agent_id)
            if conversation.agent_id
            else None
        )
    return VisitorStart(conversation, fresh_token, agent.name if agent else None)


def _visitor_command(
    services: Services, actor: Actor, public_id: str, frame: dict[str, Any]
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
    await _run(websocket, _agent)


async def _agent(link: Link) -> None:
    hello = await link.hello()
    services = link.services
    await to_thread.run_sync(services.chat.ensure_started)
    try:
        start = await to_thread.run_sync(lambda: _agent_hello(services, hello))
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
    for follow in start.follows:
        link.follow(*follow)
    actor, agent_id = start.actor, start.agent.id

    def handle(frame: dict[str, Any]) -> Callable[[], Outcome]:
        return lambda: _agent_command(services, actor, agent_id, frame, dict(link.public_ids))

    await _serve_frames(link, handle)


def _agent_hello(services: Services, hello: dict[str, Any]) -> AgentStart:
    token = p.text(hello, "token") or ""
    agent_id = p.integer(hello, "agentId")
    wanted = hello.get("follow") or {}
    if not isinstance(wanted, dict) or len(wanted) > MAX_FOLLOW:
        raise Invalid("bad_frame", f"follow maps at most {MAX_FOLLOW} conversation ids to ids")
    try:
        actor = actor_for(services, token)
    except Unauthenticated as exc:
        raise ClosedBy(Close.UNAUTHENTICATED, exc.message) from None
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
        return Outcome({"type": "chats", "chats": summaries})
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
            message = chat.agent_reply(uow, actor, public_id, agent_id, p.text(frame, "text") or "")
            result["id"] = message.id
            follow = None
            if message.conversation_id not in following:
                follow = (message.conversation_id, public_id, 0)
            return Outcome(result, follow)
        if kind == "transfer":
            chat.transfer(uow, actor, public_id, agent_id, p.integer(frame, "agentId"))
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
