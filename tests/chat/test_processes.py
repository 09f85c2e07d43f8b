"""Two `frontdesk serve` processes sharing one PostgreSQL database and one Redis.

A visitor on one process and an agent on the other see each other's messages, in the
same order, live. Redis is the one on 127.0.0.1:6379; each run uses its own channel
prefix, so parallel runs do not hear each other.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from frontdesk.services import build_services
from frontdesk.settings import Settings
from tests.chat.helpers import Served, agent, is_message, seed, send, until, visitor
from tests.conftest import _pg_database, unavailable

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from _pg_database()


def test_visitor_and_agent_on_different_processes_see_each_other_in_order(
    redis_url: str, pg_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=pg_url)
    services = build_services(settings)  # migrates the database once, before both start
    account = seed(services)
    services.close()
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_DATABASE_URL": pg_url,
        "FRONTDESK_REDIS_URL": redis_url,
        "FRONTDESK_CHAT_CHANNEL_PREFIX": f"fdtest-{secrets.token_hex(6)}",
        "FRONTDESK_SMTP_PORT": "0",  # the mail listener is not what this test is about
    }
    servers = [Served(tmp_path, env), Served(tmp_path, env)]
    try:
        for server in servers:
            server.wait()
        asyncio.run(
            _chat_across(
                servers[0].host, servers[1].host, account.widget, account.key, account.agent.id
            )
        )
    finally:
        for server in servers:
            server.stop()


async def _chat_across(
    visitor_host: str, agent_host: str, widget: str, key: str, agent_id: int
) -> None:
    v, welcome = await visitor(visitor_host, widget, page="https://example.org/")
    public_id = welcome["conversationId"]
    assert welcome["availability"]["agentsOnline"] is False
    a, _ = await agent(agent_host, key, agent_id)
    # The agent is on the other process: its presence reaches this one through Redis.
    assert await _online(v, True)
    await send(v, {"type": "message", "text": "from process one"})
    waiting, _ = await until(a, lambda f: f["type"] == "chat" and f["status"] == "waiting")
    assert waiting["conversationId"] == public_id
    # A second visitor on process one waits behind the first.
    w, _ = await visitor(visitor_host, widget, page="https://example.org/")
    await send(w, {"type": "message", "text": "me too", "ref": "w1"})
    await until(w, lambda f: f["type"] == "ack" and f.get("ref") == "w1")
    await send(a, {"type": "join", "conversationId": public_id})
    await until(a, is_message("from process one"))
    status, _ = await until(v, lambda f: f["type"] == "status" and f["status"] == "active")
    assert status["agent"]["id"] == agent_id
    # The join on process two moved the queue: process one pushes the second visitor its
    # new place through Redis, unasked.
    pushed, _ = await until(
        w, lambda f: f["type"] == "availability" and "ref" not in f and f["queuePosition"] == 1
    )
    assert pushed["agentsOnline"] is True
    await w.close()

    for i in range(5):
        await send(a, {"type": "message", "conversationId": public_id, "text": f"agent {i}"})
        await send(v, {"type": "message", "text": f"visitor {i}"})

    async def texts(ws: object) -> list[str]:
        wanted = {f"agent {i}" for i in range(5)} | {f"visitor {i}" for i in range(5)}
        got: list[str] = []
        while not wanted <= set(got):
            frame, _ = await until(ws, lambda f: f["type"] == "message")  # type: ignore[arg-type]
            got.append(frame["message"])
        return [text for text in got if text in wanted]

    on_visitor, on_agent = await asyncio.gather(texts(v), texts(a))
    assert on_visitor == on_agent
    assert [t for t in on_visitor if t.startswith("agent")] == [f"agent {i}" for i in range(5)]
    await a.close()
    assert await _online(v, False)
    await v.close()


async def _online(ws: object, wanted: bool) -> bool:
    """Asks `availability` until agentsOnline is `wanted` (presence is synced by a thread);
    the last answer."""
    deadline = time.monotonic() + 15
    while True:
        await send(ws, {"type": "availability", "ref": "online"})  # type: ignore[arg-type]
        frame, _ = await until(ws, lambda f: f["type"] == "availability")  # type: ignore[arg-type]
        if frame["agentsOnline"] is wanted or time.monotonic() > deadline:
            return bool(frame["agentsOnline"]) is wanted
        await asyncio.sleep(0.1)
