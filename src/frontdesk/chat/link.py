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
from frontdesk.chat.hub import ChatHub, Subscriber
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
        elif kind == chat.CHAT_CHANGED:
            await self._chat_changed(item)
        elif kind == chat.TYPING:
            await self._typing(item)
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

    async def _typing(self, item: dict[str, Any]) -> None:
        """The other side types: a visitor hears its agents, an agent hears visitors."""
        if self.agent_id is None:
            if item.get("who") == "agent" and item["conversation"] in self.public_ids:
                agent = {"id": item.get("agent_id"), "name": item.get("agent_name")}
                await self.send({"type": "typing", "typing": item["typing"], "agent": agent})
        elif item.get("who") == "visitor":
            await self.send(
                {"type": "typing", "conversationId": item["public_id"], "typing": item["typing"]}
            )

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
