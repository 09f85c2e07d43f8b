"""The chat hub: which sockets follow which conversation.

Chat events come from the core after commit; the services' fan-out
(services/fanout.py) carries them to every server process, where each process's hub
hands them to the sockets that follow the conversation (and to the account's agents).

Each socket has a `Subscriber`: a queue on the socket's own event loop, filled with
`call_soon_threadsafe`, so events can arrive from any thread and sockets can live on
different loops. The socket's sender task (chat/link.py) drains the queue and puts
messages in order by their per-conversation number, reading from the database whatever
a gap says it missed; the hub itself never needs to be reliable, only prompt.

A chat's state (`chat.changed`: status, agent, visitor name) is a snapshot, so a socket
needs only the latest: a state still queued is replaced by a newer one for the same
chat, and the queue holds at most one state per chat however fast chats change (20
agent sockets each hearing 100 new chats a second fell behind before). Messages are
never coalesced: each is queued, in order, and delivered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from frontdesk.chat.presence import LocalPresence, Presence
from frontdesk.core import chat
from frontdesk.core.chat.records import ChatStatus
from frontdesk.services.fanout import RESYNC, Fanout

log = logging.getLogger(__name__)

# Typing is not an event of the core (nothing is stored): the sockets and the console
# publish it on the fan-out themselves, so it reaches the other side on any process.
TYPING = chat.TYPING
CHAT_EVENTS = frozenset({chat.MESSAGE_POSTED, chat.CHAT_CHANGED, chat.VISITOR_CHANGED, TYPING})
FOLLOWERS_ONLY = frozenset({chat.MESSAGE_POSTED, TYPING})
QUEUE_LIMIT = 1000
# Hub-local, never published: a chat of the visitor's account changed state, so the
# queue may have moved; a waiting visitor's socket reads its place again and pushes it.
QUEUE_MOVED = "chat.queue_moved"
# Hub-local: "send this chat's latest state", queued in place of a `chat.changed`; the
# state itself waits in `Subscriber.states`, where a newer one replaces it.
CHAT_STATE = "chat.state"
LEFT_QUEUE = frozenset({ChatStatus.ACTIVE, ChatStatus.CLOSED})


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
        self.queue_moved = False  # a QUEUE_MOVED waits in the queue: more of them add nothing
        self.states: dict[int, dict[str, Any]] = {}  # by conversation: queued, not yet sent

    def offer(self, item: dict[str, Any]) -> None:
        """Thread-safe: queue an item for the socket (dropped once the socket fell behind)."""
        with contextlib.suppress(RuntimeError):  # the socket's loop has closed: it is gone
            self.loop.call_soon_threadsafe(self._put, item)

    def offer_queue_moved(self) -> None:
        """Thread-safe: the account's queue moved. Queued once until the socket reads it, so
        a burst of changes costs a waiting visitor one read of its place, not one each."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._put_queue_moved)

    def _put_queue_moved(self) -> None:
        if not self.queue_moved:
            self.queue_moved = True
            self._put({"kind": QUEUE_MOVED})

    def take_state(self, conversation_id: int) -> dict[str, Any] | None:
        """The chat's latest queued state (on the socket's loop, when its turn came)."""
        return self.states.pop(conversation_id, None)

    def _put(self, item: dict[str, Any]) -> None:
        conversation_id = item.get("conversation")
        if item.get("kind") == chat.CHAT_CHANGED and isinstance(conversation_id, int):
            self._put_state(conversation_id, item)
        else:
            self._enqueue(item)

    def _put_state(self, conversation_id: int, item: dict[str, Any]) -> None:
        if conversation_id in self.states:
            self.states[conversation_id] = item  # its place in the queue is already taken
        elif self._enqueue({"kind": CHAT_STATE, "conversation": conversation_id}):
            self.states[conversation_id] = item

    def _enqueue(self, item: dict[str, Any]) -> bool:
        """Queue an item; False once the socket fell too far behind (it is closed, 1013)."""
        if self.queue.qsize() >= QUEUE_LIMIT:
            if not self.overflowed:
                self.overflowed = True
                self.queue.put_nowait({"kind": "overflow"})
            return False
        self.queue.put_nowait(item)
        return True


class ChatHub:
    """This process's chat sockets, fed from the services' fan-out of committed events."""

    def __init__(self, fanout: Fanout, presence: Presence | None = None) -> None:
        self.presence = presence or LocalPresence()
        self._lock = threading.Lock()
        self._by_conversation: dict[int, set[Subscriber]] = defaultdict(set)
        self._agents: dict[int, set[Subscriber]] = defaultdict(set)
        # Visitors whose chat waits in the queue, by account: the only ones a queue move
        # concerns, so a change costs the waiting few, not every visitor on the site.
        self._waiting: dict[int, set[Subscriber]] = defaultdict(set)
        self._all: set[Subscriber] = set()
        self.fanout = fanout
        fanout.listen(self.on_notice)

    # -- wiring ----------------------------------------------------------------------------

    def on_notice(self, item: dict[str, Any]) -> None:
        """Fan-out listener: chat notices (and resyncs) go to this process's sockets."""
        if item.get("kind") in CHAT_EVENTS or item.get("kind") == RESYNC:
            self.dispatch(item)

    def ensure_started(self) -> None:
        """Blocking: the fan-out listens before the first socket relies on it."""
        self.fanout.start()

    def close(self) -> None:
        """Stop hearing notices; the fan-out itself belongs to the services."""
        self.fanout.unlisten(self.on_notice)
        self.presence.close()

    # -- the registry --------------------------------------------------------------------------

    def add(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._all.add(subscriber)
            if subscriber.agent_id is not None:
                self._agents[subscriber.account_id].add(subscriber)
                self.presence.joined(subscriber.account_id, subscriber.agent_id)

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
            self._set_waiting(subscriber, False)
            agents = self._agents.get(subscriber.account_id)
            if subscriber.agent_id is not None and agents is not None and subscriber in agents:
                self.presence.left(subscriber.account_id, subscriber.agent_id)
            if agents is not None:
                agents.discard(subscriber)
                if not agents:
                    del self._agents[subscriber.account_id]

    def waiting(self, subscriber: Subscriber, waiting: bool) -> None:
        """A visitor's chat started or stopped waiting in the queue."""
        with self._lock:
            self._set_waiting(subscriber, waiting)

    def _set_waiting(self, subscriber: Subscriber, waiting: bool) -> None:
        if waiting:
            self._waiting[subscriber.account_id].add(subscriber)
            return
        queued = self._waiting.get(subscriber.account_id)
        if queued is not None:
            queued.discard(subscriber)
            if not queued:
                del self._waiting[subscriber.account_id]

    def typing(self, account_id: int, conversation_id: int, public_id: str, **who: Any) -> None:
        """Someone is typing (or stopped) in a conversation: to its followers, anywhere."""
        self.fanout.publish(
            {
                "kind": TYPING,
                "account_id": account_id,
                "conversation": conversation_id,
                "public_id": public_id,
                **who,
            }
        )

    def connected_agents(self, account_id: int) -> set[int]:
        """The account's agents with an agents' socket open on any process (may block on
        Redis: call it from a worker thread)."""
        return self.presence.agents(account_id)

    # -- delivery ------------------------------------------------------------------------------

    def dispatch(self, item: dict[str, Any]) -> None:
        """Hand one event to this process's sockets that want it (any thread)."""
        kind = item.get("kind")
        queue_watchers: set[Subscriber] = set()
        with self._lock:
            if kind == RESYNC:
                targets = set(self._all)
            else:
                targets = set(self._by_conversation.get(item.get("conversation", -1), ()))
                if kind not in FOLLOWERS_ONLY:
                    targets |= self._agents.get(item.get("account_id", -1), set())
                if kind == chat.CHAT_CHANGED and item.get("status") in LEFT_QUEUE:
                    # A chat that starts waiting joins the queue's end and moves nobody;
                    # one that was joined or closed may move those behind it.
                    waiting = self._waiting.get(item.get("account_id", -1), set())
                    queue_watchers = waiting - targets  # its own visitor gets the status
        for subscriber in targets:
            subscriber.offer(item)
        for subscriber in queue_watchers:
            subscriber.offer_queue_moved()
