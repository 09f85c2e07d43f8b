"""One accepted chat websocket: its limits, its hub subscription, its ordered sender.

Each socket has one receiving loop (the handler) and one sending task, the only writer
to the socket. Database work runs in worker threads. The sending task delivers messages
in per-conversation order: a message numbered `seq` goes out only after `seq - 1`; when
the hub's delivery skipped one (a lost Redis event, a resync) the missing ones are read
from the database first, and ones already sent are dropped, so a client never sees a
message twice or out of order.

Resuming: the client sends the id of the last message it saw (`lastId`); the server sends
every message of the conversation after it, then live ones. Ids within a conversation
follow commit order (core/chat/), so nothing that commits later can slip in before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from frontdesk.chat import protocol as p
from frontdesk.chat.hub import CHAT_STATE, QUEUE_MOVED, TYPING, ChatHub, Subscriber
from frontdesk.chat.protocol import Close, ClosedBy
from frontdesk.core import chat
from frontdesk.core.chat.records import ChatMessage, ChatStatus
from frontdesk.core.shared.errors import DomainError, Invalid, RateLimited
from frontdesk.services import Services
from frontdesk.services.fanout import RESYNC

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a command answered, and a conversation the socket should start following."""

    frame: dict[str, Any]
    follow: tuple[int, str, int] | None = None  # (conversation id, public id, after id)
    shown: tuple[str, ...] = ()  # chats an agent's console now lists (public ids)


@dataclass
class Link:
    """One accepted websocket with its limits, its hub subscription and its sender."""

    ws: WebSocket
    services: Services
    hub: ChatHub
    sub: Subscriber | None = None
    last_seq: dict[int, int] = field(default_factory=dict)
    public_ids: dict[int, str] = field(default_factory=dict)
    agent_id: int | None = None
    sender: asyncio.Task[None] | None = None
    # A visitor's socket: reads the visitor's availability (blocking; a worker thread runs
    # it) to push the place in the queue when it moves; `waiting` while the chat waits.
    read_place: Callable[[], dict[str, Any]] | None = None
    waiting: bool = False
    told_place: dict[str, Any] | None = None
    # An agent's socket: the chats its console lists (public ids), so it hears when one of
    # them leaves its view; other chats' changes are not its business (see `_shows`).
    shown: set[str] = field(default_factory=set)

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
        self.hub.add(sub)
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
        self.hub.follow(self.sub, conversation_id)
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
        elif kind == CHAT_STATE:
            state = self.sub.take_state(item["conversation"]) if self.sub else None
            if state is not None:
                await self._chat_changed(state)
        elif kind == TYPING:
            await self._typing(item)
        elif kind == QUEUE_MOVED:
            await self._queue_moved()
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

    async def _typing(self, item: dict[str, Any]) -> None:
        """The other side's typing; a socket is not told about its own."""
        typing = bool(item.get("typing"))
        if self.agent_id is None:
            if item.get("who") == "agent":
                agent = {"id": item.get("agent_id"), "name": item.get("agent_name")}
                await self.send({"type": "typing", "typing": typing, "agent": agent})
            return
        if item.get("who") == "agent" and item.get("agent_id") == self.agent_id:
            return
        frame = {"type": "typing", "conversationId": item["public_id"], "typing": typing}
        await self.send({**frame, "who": item.get("who"), "agentId": item.get("agent_id")})

    async def _queue_moved(self) -> None:
        """Another chat of the account changed: a waiting visitor's place may have moved.

        Only waiting visitors read (one small query each), and a place is pushed only when
        it differs from the last one pushed while this chat waits."""
        assert self.sub is not None
        self.sub.queue_moved = False  # moves from now on need a read of their own
        if self.read_place is None or not self.waiting:
            return
        frame = await to_thread.run_sync(self.read_place)
        if self.waiting and frame != self.told_place:
            self.told_place = frame
            await self.send(frame)

    async def _chat_changed(self, item: dict[str, Any]) -> None:
        conversation_id = item["conversation"]
        if self.agent_id is None:
            if conversation_id in self.public_ids:
                self.set_waiting(item["status"] == ChatStatus.WAITING)
            agent = None
            if item.get("agent_id") is not None:
                agent = {
                    "id": item["agent_id"],
                    "name": item.get("agent_name"),
                    "picture": item.get("agent_picture"),
                }
            await self.send({"type": "status", "status": item["status"], "agent": agent})
            return
        if not self._shows(item):
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

    def _shows(self, item: dict[str, Any]) -> bool:
        """Whether an agent's console is told of this chat state.

        A console shows the waiting chats, the agent's own and the ones it follows (and
        those it listed): it hears a change that puts a chat in that view or takes one
        out of it, and nothing about colleagues' chats otherwise. Twenty consoles hearing
        every chat of a busy site was most of the frames they were sent."""
        public_id = item["public_id"]
        visible = (
            item["status"] == ChatStatus.WAITING
            or (item.get("agent_id") == self.agent_id and self.agent_id is not None)
            or item["conversation"] in self.public_ids
        )
        was_shown = public_id in self.shown
        if visible:
            self.shown.add(public_id)
        else:
            self.shown.discard(public_id)
        return visible or was_shown

    def set_waiting(self, waiting: bool) -> None:
        """The visitor's chat waits in the queue (or no longer): the hub tells it of moves."""
        assert self.sub is not None
        if waiting != self.waiting:
            self.waiting = waiting
            self.told_place = None  # a new wait starts with no place pushed
            self.hub.waiting(self.sub, waiting)

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
            self.hub.remove(self.sub, list(self.public_ids))

    # -- answering ---------------------------------------------------------------------------

    async def answer(self, frame: dict[str, Any], command: Callable[[], Outcome]) -> None:
        """Run a command in a worker thread; queue its answer, or an error frame."""
        ref = p.ref_of(frame)
        try:
            outcome = await to_thread.run_sync(command)
        except DomainError as exc:
            error: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message}
            if isinstance(exc, RateLimited):
                error["retryAfter"] = max(1, math.ceil(exc.retry_after))
            if ref is not None:
                error["ref"] = ref
            self.queue(error)
            return
        if outcome.follow is not None:
            self.follow(*outcome.follow)
        self.shown.update(outcome.shown)
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


async def run(websocket: WebSocket, body: Callable[[Link], Any]) -> None:
    services: Services = websocket.app.state.services
    hub: ChatHub = websocket.app.state.chat_hub
    await websocket.accept()
    link = Link(websocket, services, hub)
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


async def serve_frames(
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
