"""The fan-out hands each notice to every listener, whatever one of them does."""

from __future__ import annotations

import logging
import os
import secrets
import time
from typing import Any

import pytest
import redis

from frontdesk.services.fanout import Fanout, LocalFanout, RedisFanout
from tests.conftest import BusErrors, unavailable

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _failing(item: dict[str, Any]) -> None:
    raise RuntimeError("a broken listener")


def _listened(fanout: Fanout) -> list[dict[str, Any]]:
    """A broken listener first, then one that records what it hears."""
    heard: list[dict[str, Any]] = []
    fanout.listen(_failing)
    fanout.listen(heard.append)
    return heard


def _until(condition: Any, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def test_a_failing_listener_keeps_nothing_from_the_others(
    caplog: pytest.LogCaptureFixture, bus_errors: BusErrors
) -> None:
    fanout = LocalFanout()
    heard = _listened(fanout)
    with caplog.at_level(logging.ERROR, logger="frontdesk.services.fanout"):
        fanout.publish({"kind": "chat.changed", "account_id": 1, "visitor": "Ada Lee"})
    assert heard == [{"kind": "chat.changed", "account_id": 1, "visitor": "Ada Lee"}]
    (record,) = caplog.records
    assert "'chat.changed'" in record.getMessage()
    assert "Ada Lee" not in caplog.text  # the kind is logged, not the notice
    assert len(bus_errors.take()) == 1  # (the suite fails any other test that logs one)


def test_a_failing_listener_does_not_end_the_redis_subscription(bus_errors: BusErrors) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    fanout = RedisFanout(REDIS_URL, f"fdtest-{secrets.token_hex(6)}:events")
    heard = _listened(fanout)
    fanout.start()
    try:
        for number in (1, 2):
            fanout.publish({"kind": "ticket.updated", "account_id": 1, "n": number})
        _until(lambda: len(heard) == 2)
        # Both in order on the one subscription: no reconnect (which would add a resync).
        assert [item.get("n") for item in heard] == [1, 2]
        assert len(bus_errors.take()) == 2
    finally:
        fanout.close()
