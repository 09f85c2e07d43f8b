"""The chat hub: which sockets follow which conversation, and fan-out between processes.

Chat events come from the core after commit (through the in-process bus, on whatever
thread committed). The hub hands them to a fan-out:

- `LocalFanout` (no Redis configured): straight to this process's sockets;
- `RedisFanout` (FRONTDESK_REDIS_URL): published on one Redis channel; every process,
  this one included, hears it on a listener thread and hands it to its own sockets. One
  path for every event keeps the order in which a process sees them the same for all.

Each socket has a `Subscriber`: a queue on the socket's own event loop, filled with
`call_soon_threadsafe`, so events can arrive from any thread and sockets can live on
different loops. The socket's sender task (chat/sockets.py) drains the queue and puts
messages in order by their per-conversation number, reading from the database whatever
a gap says it missed; the hub itself never needs to be reliable, only prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from frontdesk.core import chat
from frontdesk.core.shared.records import Event

log = logging.getLogger(__name__)

CHAT_EVENTS = frozenset({chat.MESSAGE_POSTED, chat.CHAT_CHANGED, chat.VISITOR_CHANGED})
RESYNC = "chat.resync"  # the fan-out may have dropped events: every socket catches up
QUEUE_LIMIT = 1000


class Subscriber:
    """One socket's inbox. Filled from any thread; drained on the socket's loop."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, account_id: int, agent_id: int | None = None
    ) -> None:
        self.loop = loop
        self.account_id = account_id
        self.agent_id = agent_id  # None for a visitor
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.overflowed = False

    def offer(self, item: dict[str, Any]) -> None:
        """Thread-safe: queue an item for the socket (dropped once the socket fell behind)."""
        with contextlib.suppress(RuntimeError):  # the socket's loop has closed: it is gone
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: dict[str, Any]) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            if not self.overflowed:
                self.overflowed = True
                self.queue.put_nowait({"kind": "overflow"})
            return
        self.queue.put_nowait(item)


class Fanout(Protocol):
    def publish(self, item: dict[str, Any]) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class ChatHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_conversation: dict[int, set[Subscriber]] = defaultdict(set)
        self._agents: dict[int, set[Subscriber]] = defaultdict(set)
        self._all: set[Subscriber] = set()
        self.fanout: Fanout = LocalFanout(self)

    # -- wiring ----------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Bus subscriber: chat events go out through the fan-out."""
        if event.kind in CHAT_EVENTS:
            self.fanout.publish({"kind": event.kind, "account_id": event.account_id, **event.data})

    def ensure_started(self) -> None:
        """Blocking: the fan-out listens before the first socket relies on it."""
        self.fanout.start()

    def close(self) -> None:
        self.fanout.close()

    # -- the registry --------------------------------------------------------------------------

    def add(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._all.add(subscriber)
            if subscriber.agent_id is not None:
                self._agents[subscriber.account_id].add(subscriber)

    def follow(self, subscriber: Subscriber, conversation_id: int) -> None:
        with self._lock:
            self._by_conversation[conversation_id].add(subscriber)

    def remove(self, subscriber: Subscriber, conversation_ids: Sequence[int]) -> None:
        with self._lock:
            self._all.discard(subscriber)
            for conversation_id in conversation_ids:
                followers = self._by_conversation.get(conversation_id)
                if followers is not None:
                    followers.discard(subscriber)
                    if not followers:
                        del self._by_conversation[conversation_id]
            agents = self._agents.get(subscriber.account_id)
            if agents is not None:
                agents.discard(subscriber)
                if not agents:
                    del self._agents[subscriber.account_id]

    # -- delivery ------------------------------------------------------------------------------

    def dispatch(self, item: dict[str, Any]) -> None:
        """Hand one event to this process's sockets that want it (any thread)."""
        kind = item.get("kind")
        with self._lock:
            if kind == RESYNC:
                targets = set(self._all)
            else:
                targets = set(self._by_conversation.get(item.get("conversation", -1), ()))
                if kind != chat.MESSAGE_POSTED:
                    targets |= self._agents.get(item.get("account_id", -1), set())
        for subscriber in targets:
            subscriber.offer(item)


class LocalFanout:
    """One process: events go straight to its own sockets."""

    def __init__(self, hub: ChatHub) -> None:
        self.hub = hub

    def publish(self, item: dict[str, Any]) -> None:
        self.hub.dispatch(item)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class RedisFanout:
    """Several processes: one Redis pub/sub channel that every process listens to.

    Publishing is a blocking call on the committing thread (sub-millisecond on a local
    Redis); listening is a daemon thread, so neither depends on any event loop. After
    the listener loses Redis and reconnects it sends every socket a resync, since events
    published in between were not heard.
    """

    def __init__(self, hub: ChatHub, url: str, prefix: str) -> None:
        import redis

        self.hub = hub
        self.channel = f"{prefix}:chat"
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._url = url
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()

    def publish(self, item: dict[str, Any]) -> None:
        try:
            self._client.publish(self.channel, json.dumps(item, separators=(",", ":")))
        except Exception:
            # Committed already; subscribers catch up from the database at the next event.
            log.exception("could not publish a chat event to Redis")

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name="frontdesk-chat-redis", daemon=True
                )
                self._thread.start()
        if not self._ready.wait(timeout=10):
            log.warning("the Redis chat listener is not subscribed yet")

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
                    self.hub.dispatch({"kind": RESYNC})
                first = False
                delay = 0.2
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["data"])
            except Exception:
                log.warning("the Redis chat listener lost its connection; reconnecting")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except Exception:
                    log.debug("closing the Redis listener failed", exc_info=True)

    def _deliver(self, data: bytes) -> None:
        try:
            item = json.loads(data)
        except ValueError:
            log.warning("ignored a chat event that is not JSON")
            return
        if isinstance(item, dict):
            self.hub.dispatch(item)


def build_hub(redis_url: str, prefix: str) -> ChatHub:
    hub = ChatHub()
    if redis_url:
        hub.fanout = RedisFanout(hub, redis_url, prefix)
    return hub
