"""The two rate limiters behind one Protocol: in-process, and shared through the real Redis
(two limiters standing for two server processes)."""

from __future__ import annotations

import logging
import os
import secrets
import time

import pytest
import redis

from frontdesk.http.ratelimit import RateLimiter, RedisLimiter, SlidingWindowLimiter, limiter
from tests.conftest import unavailable

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    return client


def test_wait_counts_nothing_and_refused_attempts_are_not_counted() -> None:
    now = [100.0]
    local = SlidingWindowLimiter(2, 10, clock=lambda: now[0])
    assert local.wait("k") == 0.0
    assert [local.attempt("k"), local.attempt("k")] == [0.0, 0.0]
    assert local.wait("k") == pytest.approx(10)
    assert local.attempt("k") == pytest.approx(10)
    now[0] += 10
    assert local.wait("k") == 0.0  # the refused third attempt left nothing behind
    assert local.wait("never-seen") == 0.0 and "never-seen" not in local._hits


def test_two_processes_share_one_count_through_redis(redis_client: redis.Redis) -> None:
    name = f"test-{secrets.token_hex(4)}"
    first: RateLimiter = limiter(name, 3, 60, redis=redis_client, prefix="fdtest")
    second: RateLimiter = limiter(
        name, 3, 60, redis=redis.Redis.from_url(REDIS_URL), prefix="fdtest"
    )
    assert isinstance(first, RedisLimiter) and isinstance(second, RedisLimiter)
    assert [first.attempt("198.51.100.1"), second.attempt("198.51.100.1")] == [0.0, 0.0]
    assert second.wait("198.51.100.1") == 0.0
    assert first.attempt("198.51.100.1") == 0.0
    # The limit is reached through both: each now refuses, with the time left.
    for shared in (first, second):
        waited = shared.attempt("198.51.100.1")
        assert 59 < waited <= 60
        assert 59 < shared.wait("198.51.100.1") <= 60
    assert second.attempt("198.51.100.2") == 0.0  # another key has its own count
    keys = redis_client.keys(f"fdtest:ratelimit:{name}:*")
    assert sorted(keys) == [
        f"fdtest:ratelimit:{name}:198.51.100.1".encode(),
        f"fdtest:ratelimit:{name}:198.51.100.2".encode(),
    ]
    assert 0 < redis_client.pttl(keys[0]) <= 60_000  # nothing stays behind for ever


def test_the_redis_window_slides(redis_client: redis.Redis) -> None:
    name = f"test-{secrets.token_hex(4)}"
    one = limiter(name, 1, 0.3, redis=redis_client, prefix="fdtest")
    assert one.attempt("k") == 0.0
    assert one.attempt("k") > 0
    time.sleep(0.35)
    assert one.attempt("k") == 0.0


def test_an_unreachable_redis_allows_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    gone = redis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    shared = limiter("gone", 1, 60, redis=gone)
    with caplog.at_level(logging.WARNING, "frontdesk.http.ratelimit"):
        assert [shared.attempt("k"), shared.attempt("k"), shared.wait("k")] == [0.0, 0.0, 0.0]
    assert "rate limiter frontdesk:ratelimit:gone: Redis unreachable, allowing" in caplog.messages
