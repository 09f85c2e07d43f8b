"""Rate limits for what anyone can reach: the v3 contact form, new chats from the widget,
failed authentications.

`RateLimiter` is the port, with two implementations chosen by `limiter()`:

- `SlidingWindowLimiter`, the embedded default: each key's attempts within the window,
  remembered in this process. Several server processes each count on their own (N
  workers allow up to N times the limit).
- `RedisLimiter`, when `FRONTDESK_REDIS_URL` is set: the same sliding window kept in Redis
  (one sorted set per key, changed by one atomic script on Redis's own clock), so every
  process counts against one number. If Redis cannot be reached an attempt is allowed
  and a warning logged: a limiter must not take the service down with it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def attempt(self, key: str) -> float:
        """Count one attempt: 0 when it is allowed, else the seconds until one would be
        (a refused attempt is not counted)."""
        ...

    def wait(self, key: str) -> float:
        """The seconds until an attempt would be allowed (0: now), counting nothing."""
        ...


class SlidingWindowLimiter:
    """At most `limit` attempts per key in any `window` seconds (a sliding log).

    Memory is bounded: at most `max_keys` keys are remembered. When that many are live,
    the keys seen least recently are forgotten first, which can only make the limiter more
    lenient for them, never lock anyone out.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, key: str) -> float:
        return self._check(key, count=True)

    def wait(self, key: str) -> float:
        return self._check(key, count=False)

    def _check(self, key: str, *, count: bool) -> float:
        with self._lock:
            now = self._clock()
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if hits or count:
                self._hits[key] = hits  # re-inserted last: dict order is least recent first
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            if count:
                hits.append(now)
                if len(self._hits) > self.max_keys:
                    self._forget(now)
            return 0.0

    def _forget(self, now: float) -> None:
        for key in [key for key, hits in self._hits.items() if hits[-1] <= now - self.window]:
            del self._hits[key]
        while len(self._hits) > self.max_keys:
            del self._hits[next(iter(self._hits))]


# One sorted set per key: members are attempts, scores their time in ms on Redis's clock
# (so processes on different machines agree). Returns 0 when allowed, else the ms to wait.
_SLIDING_WINDOW = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 1)
end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""


class RedisLimiter:
    """The sliding window of `SlidingWindowLimiter`, shared by every process through Redis."""

    def __init__(self, client: Any, name: str, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window_ms = max(1, round(window * 1000))
        self.prefix = f"{name}:"
        self._script = client.register_script(_SLIDING_WINDOW)

    def attempt(self, key: str) -> float:
        return self._run(key, count=True)

    def wait(self, key: str) -> float:
        return self._run(key, count=False)

    def _run(self, key: str, *, count: bool) -> float:
        args = [self.limit, self.window_ms, "1" if count else "0", uuid.uuid4().hex]
        try:
            waited_ms = self._script(keys=[self.prefix + key], args=args)
        except Exception:  # redis.RedisError, OSError: fail open, loudly
            log.warning("rate limiter %s: Redis unreachable, allowing", self.prefix.rstrip(":"))
            return 0.0
        return int(waited_ms) / 1000


def redis_client(url: str) -> Any:
    """A client for the limiters: short timeouts, as every request may wait on it."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def limiter(
    name: str, limit: int, window: float, *, redis: Any | None = None, prefix: str = "frontdesk"
) -> RateLimiter:
    """A shared limiter when a Redis client is given, else one of this process."""
    if redis is None:
        return SlidingWindowLimiter(limit, window)
    return RedisLimiter(redis, f"{prefix}:ratelimit:{name}", limit, window)


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
