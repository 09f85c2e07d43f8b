"""Shared pieces of the chat tests: a seeded account, a real server, websocket clients."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import websockets
from websockets.asyncio.client import ClientConnection

from frontdesk.chat.admission import solve
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.records import ALL_SCOPES, Actor, Scope
from frontdesk.services import Services
from tests.live import free_port as free_port  # the chat tests import them from here
from tests.live import serving as serving

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/50.0.2661.102 Safari/537.36"
)
Frame = dict[str, Any]


@dataclass
class ChatAccount:
    services: Services
    account_id: int
    widget: str
    key: str  # chat:read and chat:write
    actor: Actor
    agent: Agent
    other_agent: Agent


def seed(services: Services, name: str = "Chat Co") -> ChatAccount:
    with services.store.write() as uow:
        account = accounts.create_account(uow, name)
        actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
        key = credentials.issue_api_key(
            uow, actor, "chat", [Scope.CHAT_READ, Scope.CHAT_WRITE]
        ).token
        tag = f"{account.id}-{time.time_ns()}"
        agent = accounts.create_agent(
            uow, actor, AgentFields(name="John", email=f"john-{tag}@example.org")
        )
        other = accounts.create_agent(
            uow, actor, AgentFields(name="Jane", email=f"jane-{tag}@example.org")
        )
    return ChatAccount(services, account.id, account.public_id, key, actor, agent, other)


async def connect(host: str, side: str, headers: dict[str, str] | None = None) -> ClientConnection:
    return await websockets.connect(
        f"ws://{host}/chat/ws/{side}", additional_headers=headers or {}, open_timeout=10
    )


async def send(ws: ClientConnection, frame: Frame) -> None:
    await ws.send(json.dumps(frame))


async def receive(ws: ClientConnection, timeout: float = 10) -> Frame:
    frame: Frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


async def until(
    ws: ClientConnection, wanted: Callable[[Frame], bool], timeout: float = 10
) -> tuple[Frame, list[Frame]]:
    """The first frame `wanted` accepts, and every frame received before it."""
    before: list[Frame] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        frame = await receive(ws, max(left, 0.01))
        if wanted(frame):
            return frame, before
        before.append(frame)


async def visitor(
    host: str,
    widget: str,
    *,
    headers: dict[str, str] | None = None,
    prove: bool = True,
    timeout: float = 10,
    **hello: Any,
) -> tuple[ClientConnection, Frame]:
    """A visitor socket after its welcome, with the browser proof sent (as the widget does
    before anything else) when the welcome asks for one. Frames are handled in order, so
    whatever the test sends next comes after it; its answer, `verified`, is left in the
    stream."""
    ws = await connect(host, "visitor", {"User-Agent": CHROME_UA, **(headers or {})})
    await send(ws, {"type": "hello", "widget": widget, **hello})
    welcome, _ = await until(ws, lambda f: f["type"] == "welcome", timeout)
    if prove and "proof" in welcome:
        await send(ws, proof_frame(welcome["proof"]))
    return ws, welcome


def proof_frame(proof: Frame) -> Frame:
    nonce = solve(proof["challenge"], proof["bits"])
    return {"type": "proof", "challenge": proof["challenge"], "nonce": nonce, "ref": "proof"}


async def agent(host: str, key: str, agent_id: int, **hello: Any) -> tuple[ClientConnection, Frame]:
    ws = await connect(host, "agent")
    await send(ws, {"type": "hello", "token": key, "agentId": agent_id, **hello})
    welcome, _ = await until(ws, lambda f: f["type"] == "welcome")
    return ws, welcome


def is_message(text: str) -> Callable[[Frame], bool]:
    return lambda frame: frame["type"] == "message" and frame["message"] == text


async def closed_with(ws: ClientConnection, timeout: float = 10) -> int | None:
    """Read until the server closes; the close code it sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


async def all_of(
    ws: ClientConnection, *wanted: Callable[[Frame], bool], timeout: float = 10
) -> list[Frame]:
    """Frames until each of `wanted` matched one (in any order); every frame read."""
    missing = list(wanted)
    seen: list[Frame] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while missing:
        left = deadline - asyncio.get_running_loop().time()
        frame = await receive(ws, max(left, 0.01))
        seen.append(frame)
        missing = [test for test in missing if not test(frame)]
    return seen


class Served:
    """A real `frontdesk serve` process; `port` to start again where one stopped."""

    def __init__(self, data_dir: Path, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = (data_dir / f"server-{self.port}.log").open("a")
        executable = Path(sys.executable).parent / "frontdesk"
        self.process = subprocess.Popen(
            [str(executable), "serve", "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited"
            try:
                if httpx2.get(f"http://{self.host}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
