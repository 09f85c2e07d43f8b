"""Chat sockets through the balancer that reconnect and resume as the widget and the agent
console do (docs/chat.md, "Order, resume, no doubles"), and keep what they saw."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.chat.helpers import CHROME_UA, Frame, send, until
from tests.scaleout.cluster import SERVED_BY

RECONNECT_PAUSE = 0.5  # the widget's first back-off step
ACK_TIMEOUT = 60.0  # generous: a loaded machine, a process restarting


class Peer:
    """One side of a chat on a socket that is connected again whenever it drops.

    `hello` builds the first frame of each connection from what the peer saw so far (the
    last message id per conversation), so the server resumes where it left off. Every
    `message` frame is kept by conversation in arrival order; a number that does not
    increase is a double (or disorder) and is written down in `problems`.
    """

    def __init__(self, host: str, side: str, hello: Callable[[Peer], Frame]) -> None:
        self.url = f"ws://{host}/chat/ws/{side}"
        self.side = side
        self.hello = hello
        self.headers = {"User-Agent": CHROME_UA} if side == "visitor" else {}
        self.ws: ClientConnection | None = None
        self.connected = asyncio.Event()
        self.closing = False
        self.seen: dict[str, list[int]] = defaultdict(list)
        self.acks: dict[str, int | None] = {}
        self.servers: list[str] = []  # the process each connection landed on
        self.welcomes: list[Frame] = []
        self.problems: list[str] = []
        self.conversation: str | None = None  # a visitor's, from its first welcome
        self.token: str | None = None

    def last_id(self, conversation: str) -> int:
        return max(self.seen[conversation], default=0)

    async def run(self) -> None:
        while not self.closing:
            try:
                await self._connection()
            except (OSError, TimeoutError, websockets.WebSocketException):
                pass  # dropped or refused: connect again, as the widget does
            finally:
                self.ws = None
                self.connected.clear()
            if not self.closing:
                await asyncio.sleep(RECONNECT_PAUSE)

    async def _connection(self) -> None:
        async with websockets.connect(
            self.url, additional_headers=self.headers, open_timeout=20, close_timeout=2
        ) as ws:
            assert ws.response is not None
            self.servers.append(ws.response.headers.get(SERVED_BY, "?"))
            await send(ws, self.hello(self))
            welcome, _ = await until(ws, lambda f: f["type"] == "welcome", timeout=30)
            self._welcomed(welcome)
            self.ws = ws
            self.connected.set()
            async for raw in ws:
                self._handle(json.loads(raw))

    def _welcomed(self, welcome: Frame) -> None:
        self.welcomes.append(welcome)
        if self.side != "visitor":
            return
        if self.conversation is None:
            self.conversation, self.token = welcome["conversationId"], welcome["token"]
        elif welcome["conversationId"] != self.conversation or not welcome["resumed"]:
            self.problems.append(f"resume opened another conversation: {welcome}")

    def _handle(self, frame: Frame) -> None:
        kind = frame["type"]
        if kind == "message":
            ids = self.seen[frame["conversationId"]]
            if ids and frame["id"] <= ids[-1]:
                self.problems.append(f"message {frame['id']} after {ids[-1]}: doubled or late")
            ids.append(frame["id"])
        elif kind == "ack" and isinstance(frame.get("ref"), str):
            self.acks[frame["ref"]] = frame.get("id")
        elif kind == "error":
            self.problems.append(f"error frame: {frame}")

    async def send_acked(self, frame: Frame, ref: str, *, resend: bool) -> bool:
        """Send `frame` with `ref` until the server acknowledges it. With `resend` (the
        widget's messages: the server stores a ref once) it is sent again after a
        reconnect; without, a drop before the ack leaves the outcome unknown: False."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT
        while loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.connected.wait(), deadline - loop.time())
            ws = self.ws
            if ws is None:
                continue
            with contextlib.suppress(websockets.ConnectionClosed):
                await send(ws, {**frame, "ref": ref})
            while ref not in self.acks and self.ws is ws and loop.time() < deadline:
                await asyncio.sleep(0.02)
            if ref in self.acks:
                return True
            if not resend:
                return False
        raise AssertionError(f"{self.side}: no ack for {ref} in {ACK_TIMEOUT} s")

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()


def agent_hello(token: str, agent_id: int) -> Callable[[Peer], Frame]:
    def hello(peer: Peer) -> Frame:
        follow = {cid: peer.last_id(cid) for cid in peer.seen}
        return {"type": "hello", "token": token, "agentId": agent_id, "follow": follow}

    return hello


def visitor_hello(widget: str) -> Callable[[Peer], Frame]:
    def hello(peer: Peer) -> Frame:
        frame: dict[str, Any] = {"type": "hello", "widget": widget, "page": "https://shop.test/"}
        if peer.conversation is not None:
            frame |= {
                "conversationId": peer.conversation,
                "token": peer.token,
                "lastId": peer.last_id(peer.conversation),
            }
        return frame

    return hello
