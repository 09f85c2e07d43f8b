"""Fan-out of committed events to every server process, as small JSON notices.

Events come from the core after commit (through the in-process bus, on whatever thread
committed). The fan-out hands each one, as a dict `{"kind", "account_id", ...data}`, to
the listeners of every process: the chat hub's sockets today, the web app's live pages
next. Two implementations:

- `LocalFanout` (no Redis configured): straight to this process's listeners;
- `RedisFanout` (FRONTDESK_REDIS_URL): published on one Redis channel; every process,
  this one included, hears it on a listener thread and hands it to its own listeners.
  One path for every event keeps the order in which a process sees them the same for all.

Delivery is prompt, not reliable: a listener that may have missed notices (Redis went
away) is told so with a `RESYNC` item and catches up from the database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from frontdesk.core.shared.records import Event

log = logging.getLogger(__name__)

RESYNC = "chat.resync"  # notices may have been lost: every listener catches up
Listener = Callable[[dict[str, Any]], None]


def notice(event: Event) -> dict[str, Any]:
    """An event as the fan-out carries it between processes."""
    item: dict[str, Any] = {"kind": event.kind, "account_id": event.account_id, **event.data}
    if event.ticket_id is not None:
        item.setdefault("ticket_id", event.ticket_id)
    return item


class Fanout(Protocol):
    def listen(self, listener: Listener) -> None: ...

    def unlisten(self, listener: Listener) -> None: ...

    def publish(self, item: dict[str, Any]) -> None: ...

    def publish_event(self, event: Event) -> None:
        """Bus subscriber: a committed event goes out to every process."""

    def start(self) -> None:
        """Blocking: listening has begun before the first listener relies on it."""

    def close(self) -> None: ...


class _Listeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def deliver(self, item: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(item)
            except Exception:
                # One listener's fault must not keep the notice from the others (the chat
                # sockets, the live pages) nor, on Redis's listener thread, end the
                # subscription. The kind alone is logged: a notice may name a customer.
                log.exception("a fan-out listener failed on a %r notice", item.get("kind"))

    def publish_event(self, event: Event) -> None:
        self.publish(notice(event))

    def publish(self, item: dict[str, Any]) -> None:
        raise NotImplementedError


class LocalFanout(_Listeners):
    """One process: notices go straight to its own listeners."""

    def publish(self, item: dict[str, Any]) -> None:
        self.deliver(item)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisFanout(_Listeners):
    """Several processes: one Redis pub/sub channel that every process listens to.

    Publishing is a blocking call on the committing thread (sub-millisecond on a local
    Redis); listening is a daemon thread, so neither depends on any event loop. After
    the listener loses Redis and reconnects it delivers a RESYNC, since notices
    published in between were not heard.
    """

    def __init__(self, url: str, channel: str) -> None:
        import redis

        super().__init__()
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._url = url
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()

    def publish(self, item: dict[str, Any]) -> None:
        try:
            self._client.publish(self.channel, json.dumps(item, separators=(",", ":"), default=str))
        except Exception:
            # Committed already; listeners catch up from the database at the next notice.
            log.exception("could not publish an event notice to Redis")

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name="frontdesk-fanout-redis", daemon=True
                )
                self._thread.start()
        if not self._ready.wait(timeout=10):
            log.warning("the Redis event listener is not subscribed yet")

    def close(self) -> None:
        self._stop.set()
        try:
            self._client.close()
        except Exception:  # closing must never fail a shutdown
            log.debug("closing the Redis client failed", exc_info=True)

    def _listen(self) -> None:
        import redis

        delay = 0.2
        first = True
        while not self._stop.is_set():
            client = redis.Redis.from_url(self._url, socket_connect_timeout=5)
            pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                self._ready.set()
                if not first:
                    self.deliver({"kind": RESYNC})
                first = False
                delay = 0.2
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except Exception:
                log.warning("the Redis event listener lost its connection; reconnecting")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except Exception:
                    log.debug("closing the Redis listener failed", exc_info=True)

    def _receive(self, data: bytes) -> None:
        try:
            item = json.loads(data)
        except ValueError:
            log.warning("ignored an event notice that is not JSON")
            return
        if isinstance(item, dict):
            self.deliver(item)


def build_fanout(redis_url: str, prefix: str) -> Fanout:
    if redis_url:
        return RedisFanout(redis_url, f"{prefix}:events")
    return LocalFanout()
