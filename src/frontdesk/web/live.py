"""The web app's live channel: one server-sent event stream per tab, and presence.

Committed events reach every server process through the services' fan-out
(services/fanout.py: in-process, or Redis across processes). Each process's `LiveHub`
hands the events of an account to that account's open streams as small notices,
`{"kind": ..., "ticket": id}`; the page re-fetches the fragments concerned with htmx, so
the HTML keeps one source, the server. Drafts are not announced (they are private), and
a notice carries no content, so a stream never shows what the agent could not open.

Presence ("who is viewing, who is replying") is a heartbeat each ticket page posts every
HEARTBEAT seconds and whenever its state changes. The heartbeat goes out on the same
fan-out, so every process's `PresenceBoard` hears every tab of every process (with Redis),
or of its own process (without); an entry not renewed within EXPIRY seconds is gone.
Presence is not data: nothing is written to the database for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.responses import Response

from frontdesk.core import chat, tickets
from frontdesk.core.chat.presence import AGENT_STATUS_CHANGED
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid
from frontdesk.http.deps import PathId, services_from
from frontdesk.services.fanout import RESYNC, Fanout
from frontdesk.web import session
from frontdesk.web.security import web_router
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
PRESENCE = "web.presence"
HEARTBEAT = 15  # seconds between a page's presence posts
EXPIRY = 40  # seconds after which a tab that stopped posting is gone
KEEPALIVE = 20  # seconds between comment lines on an idle stream (proxies close silent ones)
QUEUE_LIMIT = 500
# The page's time is taken before its route reads anything, and a change is heard after
# its commit, so no margin is needed for the order; this one covers clocks of different
# machines behind one Redis.
CATCH_UP_MARGIN_MS = 100
STATES = ("viewing", "replying", "gone")
PRIVATE = ("draft.", "session.", "password.", "ticket.read")  # never announced (or per agent)


CHAT_NOTICES = frozenset(
    {
        chat.CHAT_CHANGED,
        chat.MESSAGE_POSTED,
        chat.VISITOR_CHANGED,
        chat.TYPING,
        AGENT_STATUS_CHANGED,
    }
)


def chat_notice(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """A chat event as the console hears it: which chat, and who wrote or took it.

    No message text travels: the console re-fetches what it shows. `sender` (visitor,
    agent, system) lets it ring for a visitor's message; `status` and `agent` for a new
    chat; `visitor` (the name the visitor gave, or null) names them in the desktop
    notification, which the console shows before it has re-fetched anything; `who` and
    `typing` show (or hide) the typing indicator.
    """
    public_id = item.get("public_id")
    notice: dict[str, Any] = {"kind": kind, "chat": public_id}
    if kind == chat.MESSAGE_POSTED:
        found = item.get("message")
        message: dict[str, Any] = found if isinstance(found, dict) else {}
        notice["sender"] = message.get("sender")
        if notice["sender"] == "visitor":
            # A visitor's message is signed with their name, or the public id when unnamed.
            notice["visitor"] = message.get("from") if message.get("from") != public_id else None
    elif kind == chat.CHAT_CHANGED:
        notice["status"] = item.get("status")
        notice["agent"] = item.get("agent_id")
        notice["visitor"] = item.get("visitor_name")
    elif kind == chat.TYPING:
        notice.update(who=item.get("who"), agent=item.get("agent_id"), typing=item.get("typing"))
    return notice


@dataclass
class Seen:
    agent_id: int
    name: str
    state: str
    at: float


class PresenceBoard:
    """Who is on which ticket: tabs by ticket, as heard from every process's heartbeats."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._tabs: dict[tuple[int, int], dict[str, Seen]] = defaultdict(dict)
        self._clock = clock

    def hear(self, item: dict[str, Any]) -> None:
        key = (int(item["account_id"]), int(item["ticket_id"]))
        tab = str(item["tab"])[:64]
        with self._lock:
            if item["state"] == "gone":
                self._tabs[key].pop(tab, None)
            else:
                self._tabs[key][tab] = Seen(
                    int(item["agent_id"]),
                    str(item["name"])[:200],
                    str(item["state"]),
                    self._clock(),
                )

    def on_ticket(self, account_id: int, ticket_id: int) -> list[Seen]:
        """One entry per agent (replying wins over viewing), oldest first."""
        now = self._clock()
        with self._lock:
            tabs = self._tabs.get((account_id, ticket_id), {})
            for tab in [tab for tab, seen in tabs.items() if now - seen.at > EXPIRY]:
                del tabs[tab]
            entries = sorted(tabs.values(), key=lambda seen: seen.at)
        by_agent: dict[int, Seen] = {}
        for seen in entries:
            known = by_agent.get(seen.agent_id)
            if known is None or seen.state == "replying":
                by_agent[seen.agent_id] = seen
        return list(by_agent.values())


class Stream:
    """One tab's stream: a queue on the stream's own loop, filled from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, account_id: int) -> None:
        self.loop = loop
        self.account_id = account_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def offer(self, item: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the stream is gone
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: dict[str, Any]) -> None:
        if self.queue.qsize() < QUEUE_LIMIT:
            self.queue.put_nowait(item)
            return
        # The tab fell behind (asleep, or on a slow link): what it has not read yet is
        # replaced by one `resync`, on which the page re-fetches its live parts, instead
        # of changes dropped without a word.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait({"kind": "resync"})


class LiveHub:
    """This process's open streams and presence board, fed by the fan-out.

    It also remembers when each account last changed, so that a stream opened by a page
    read before a change (the change came between the page's read and its stream) starts
    with a catch-up notice instead of missing it.
    """

    def __init__(self, fanout: Fanout, clock: Any = time.time) -> None:
        self.fanout = fanout
        self.board = PresenceBoard()
        self._lock = threading.Lock()
        self._streams: dict[int, set[Stream]] = defaultdict(set)
        self._changed: dict[int, float] = {}  # account id -> when it last changed (s)
        self._clock = clock
        fanout.listen(self.on_notice)

    def changed_since(self, account_id: int, since_ms: int) -> bool:
        """Did the account change after `since_ms` (less a small margin)? Unknown here
        (this process started later) counts as no."""
        last = self._changed.get(account_id)
        return last is not None and last * 1000 > since_ms - CATCH_UP_MARGIN_MS

    def on_notice(self, item: dict[str, Any]) -> None:
        kind = str(item.get("kind", ""))
        if kind == RESYNC:
            self._deliver(None, {"kind": "resync"})
        elif kind == PRESENCE:
            self.board.hear(item)
            self._deliver(item.get("account_id"), {"kind": "presence", "ticket": item["ticket_id"]})
        elif kind in CHAT_NOTICES:
            self._heard_change(item)
            self._deliver(item.get("account_id"), chat_notice(kind, item))
        elif not kind.startswith(PRIVATE) and not kind.startswith("chat."):
            self._heard_change(item)
            notice = {"kind": kind, "ticket": item.get("ticket_id")}
            self._deliver(item.get("account_id"), notice)

    def _heard_change(self, item: dict[str, Any]) -> None:
        """A change some page shows: a ticket's or a chat's (typing is no change, and an
        agent's own notifications being read, as opening a ticket does, is only theirs)."""
        if item.get("account_id") is None or item.get("kind") == chat.TYPING:
            return
        if item.get("ticket_id") is None and item.get("public_id") is None:
            return
        self._changed[int(item["account_id"])] = self._clock()

    def _deliver(self, account_id: Any, notice: dict[str, Any]) -> None:
        with self._lock:
            if account_id is None:
                targets = {stream for streams in self._streams.values() for stream in streams}
            else:
                targets = set(self._streams.get(int(account_id), ()))
        for stream in targets:
            stream.offer(notice)

    def add(self, stream: Stream) -> None:
        with self._lock:
            self._streams[stream.account_id].add(stream)

    def remove(self, stream: Stream) -> None:
        with self._lock:
            self._streams[stream.account_id].discard(stream)

    def close(self) -> None:
        self.fanout.unlisten(self.on_notice)


def install(app: FastAPI) -> None:
    app.state.live_hub = LiveHub(app.state.services.fanout)


def _hub(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live_hub
    return hub


@router.get("/tickets/live")
async def live(request: Request, signed: Signed, since: int | None = None) -> Response:
    """Server-sent events: `change` notices for the agent's account, until the tab closes.
    `since`: when the page was read (epoch ms); a change after it is told at once as a
    `resync`, on which the page re-fetches its live parts."""
    hub = _hub(request)
    await to_thread.run_sync(hub.fanout.start)  # blocking once: Redis subscribed first
    stream = Stream(asyncio.get_running_loop(), signed.agent.account_id)
    hub.add(stream)
    if since is not None and hub.changed_since(signed.agent.account_id, since):
        stream.queue.put_nowait({"kind": "resync"})
    return StreamingResponse(
        _events(request, hub, stream),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, hub: LiveHub, stream: Stream) -> AsyncIterator[str]:
    try:
        yield f"retry: 3000\n: {HEARTBEAT}\n\n"
        while not await request.is_disconnected():
            try:
                notice = await asyncio.wait_for(stream.queue.get(), timeout=KEEPALIVE)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            yield f"event: change\ndata: {json.dumps(notice, separators=(',', ':'))}\n\n"
    finally:
        hub.remove(stream)


@router.post("/tickets/{ticket_id}/presence")
def presence(
    request: Request,
    ticket_id: PathId,
    signed: Signed,
    state: Annotated[str, Form(max_length=10)],
    tab: Annotated[str, Form(min_length=8, max_length=64)],
) -> Response:
    """A page's heartbeat: this tab views (or replies on) the ticket, or has left it."""
    if state not in STATES:
        raise Invalid("invalid_state", "viewing, replying or gone", field="state")
    services = services_from(request)
    with services.store.read() as uow:
        tickets.get_ticket(uow, signed.actor, ticket_id)  # another account's is a 404
    services.fanout.publish(
        {
            "kind": PRESENCE,
            "account_id": signed.agent.account_id,
            "ticket_id": ticket_id,
            "agent_id": signed.agent.id,
            "name": signed.agent.name,
            "state": state,
            "tab": tab,
        }
    )
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/presence", response_class=HTMLResponse)
def who(request: Request, ticket_id: PathId, signed: Signed) -> Response:
    """The others on this ticket right now (the signed-in agent is left out)."""
    services = services_from(request)
    with services.store.read() as uow:
        tickets.get_ticket(uow, signed.actor, ticket_id)
    others = [
        seen
        for seen in _hub(request).board.on_ticket(signed.agent.account_id, ticket_id)
        if seen.agent_id != signed.agent.id
    ]
    return render(request, "tickets/_presence.html", {"others": others, "ticket_id": ticket_id})
