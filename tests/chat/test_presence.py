"""Agent presence: this process's sockets, and every process's through the real Redis
(two RedisPresence objects stand for two processes)."""

from __future__ import annotations

import os
import secrets
import time

import pytest
import redis

from frontdesk.chat.presence import LocalPresence, RedisPresence
from tests.conftest import unavailable

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_local_presence_counts_sockets_per_agent() -> None:
    presence = LocalPresence()
    presence.joined(1, 7)
    presence.joined(1, 7)  # a second tab
    presence.joined(2, 8)
    assert presence.agents(1) == {7} and presence.agents(2) == {8}
    presence.left(1, 7)
    assert presence.agents(1) == {7}  # one tab is still open
    presence.left(1, 7)
    assert presence.agents(1) == set() and presence.agents(2) == {8}


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def _until(check: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_redis_presence_is_shared_and_leaves(redis_url: str) -> None:
    prefix = f"fdtest-{secrets.token_hex(6)}"
    one, two = RedisPresence(redis_url, prefix), RedisPresence(redis_url, prefix)
    try:
        one.joined(5, 11)
        assert _until(lambda: two.agents(5) == {11})
        assert two.agents(6) == set()  # another account sees nobody
        two.joined(5, 12)
        assert _until(lambda: one.agents(5) == {11, 12})
        one.left(5, 11)
        assert _until(lambda: two.agents(5) == {12})
        client = redis.Redis.from_url(redis_url)
        ttl = client.pttl(f"{prefix}:presence:5")
        assert 0 < ttl <= 60_000  # the key itself expires if every process vanished
        client.close()
    finally:
        one.close()
        two.close()
    fresh = RedisPresence(redis_url, prefix)
    try:
        assert fresh.agents(5) == set()  # closing a process removes its agents
    finally:
        fresh.close()
