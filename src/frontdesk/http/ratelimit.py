"""Rate limits for endpoints anyone can reach (the v3 public contact form).

`RateLimiter` is the port; `SlidingWindowLimiter` is the embedded default: it remembers
each key's attempts within the window in this process. Several app processes each count
on their own, so N workers allow up to N times the limit; a shared implementation (Redis,
PostgreSQL) would plug in behind the same Protocol.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    def attempt(self, key: str) -> float:
        """Count one attempt: 0 when it is allowed, else the seconds until one would be."""
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
        with self._lock:
            now = self._clock()
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits  # re-inserted last: dict order is least recently seen first
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            if len(self._hits) > self.max_keys:
                self._forget(now)
            return 0.0

    def _forget(self, now: float) -> None:
        for key in [key for key, hits in self._hits.items() if hits[-1] <= now - self.window]:
            del self._hits[key]
        while len(self._hits) > self.max_keys:
            del self._hits[next(iter(self._hits))]


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
