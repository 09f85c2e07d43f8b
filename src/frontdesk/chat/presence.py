"""Which agents have an agents' socket open, across every server process.

The visitor's widget asks `core.chat.agents_available` whether anyone can answer; this is
what it is given. Two implementations, chosen as the fan-out is:

- `LocalPresence` (no Redis): the sockets of this process are all there are;
- `RedisPresence` (FRONTDESK_REDIS_URL): each process keeps its own sockets in a sorted
  set per account, `<prefix>:presence:<account>`, members `<agent>:<process token>`
  scored by an expiry 30 s ahead, renewed every 10 s by a background thread. A process
  that dies without saying goodbye drops out within 30 s. Opening and closing a socket
  only touch a local count and wake the thread, so the event loop never waits on Redis;
  reading (from worker threads) asks Redis, and falls back to this process's own sockets
  when Redis does not answer.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from typing import Any, Protocol

log = logging.getLogger(__name__)
TTL_MS = 30_000
RENEW_SECONDS = 10.0


class Presence(Protocol):
    def joined(self, account_id: int, agent_id: int) -> None: ...

    def left(self, account_id: int, agent_id: int) -> None: ...

    def agents(self, account_id: int) -> set[int]: ...

    def close(self) -> None: ...


class LocalPresence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: Counter[tuple[int, int]] = Counter()

    def joined(self, account_id: int, agent_id: int) -> None:
        with self._lock:
            self._open[(account_id, agent_id)] += 1

    def left(self, account_id: int, agent_id: int) -> None:
        with self._lock:
            self._open[(account_id, agent_id)] -= 1
            if self._open[(account_id, agent_id)] <= 0:
                del self._open[(account_id, agent_id)]

    def agents(self, account_id: int) -> set[int]:
        with self._lock:
            return {agent for (account, agent) in self._open if account == account_id}

    def snapshot(self) -> set[tuple[int, int]]:
        with self._lock:
            return set(self._open)

    def close(self) -> None:
        pass


class RedisPresence(LocalPresence):
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        super().__init__()
        self._client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{prefix}:presence"
        self._token = secrets.token_hex(6)  # this process
        self._published: set[tuple[int, int]] = set()
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="frontdesk-presence", daemon=True)
        self._thread.start()

    def joined(self, account_id: int, agent_id: int) -> None:
        super().joined(account_id, agent_id)
        self._wake.set()

    def left(self, account_id: int, agent_id: int) -> None:
        super().left(account_id, agent_id)
        self._wake.set()

    def agents(self, account_id: int) -> set[int]:
        own = super().agents(account_id)
        try:
            members = self._client.zrangebyscore(self._key(account_id), _now(), "+inf")
        except Exception as exc:  # any Redis trouble: what this process knows
            log.warning("presence: Redis unreachable, using this process's agents (%s)", exc)
            return own
        return own | {int(member.split(b":", 1)[0]) for member in members}

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self._client.close()

    def _key(self, account_id: int) -> str:
        return f"{self._prefix}:{account_id}"

    def _member(self, agent_id: int) -> str:
        return f"{agent_id}:{self._token}"

    def _run(self) -> None:
        while not self._stopped:
            try:
                self._sync(leaving=self._stopped)
            except Exception as exc:  # Redis away: try again at the next round
                log.warning("presence: could not renew in Redis (%s)", exc)
            self._wake.wait(RENEW_SECONDS)
            self._wake.clear()
        try:
            self._sync(leaving=True)
        except Exception as exc:
            log.warning("presence: could not leave Redis (%s)", exc)

    def _sync(self, *, leaving: bool) -> None:
        current = set() if leaving else self.snapshot()
        expiry = _now() + TTL_MS
        pipe = self._client.pipeline()
        for account_id, agent_id in current:
            pipe.zadd(self._key(account_id), {self._member(agent_id): expiry})
            pipe.pexpire(self._key(account_id), TTL_MS * 2)
        for account_id, agent_id in self._published - current:
            pipe.zrem(self._key(account_id), self._member(agent_id))
        pipe.execute()
        self._published = current


def _now() -> int:
    return int(time.time() * 1000)


def build_presence(redis_url: str, prefix: str) -> Presence:
    return RedisPresence(redis_url, prefix) if redis_url else LocalPresence()
