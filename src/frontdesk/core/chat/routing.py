"""Routing: which agent a waiting chat is offered to, and for how long.

The rule (docs/chat.md, "Routing"):

1. **Who may be offered a chat**: agents the team sees as online (core.chat.presence)
   with room under their chat limit.
2. **In what order**: the least busy first (fewest active chats); among agents equally
   busy, round robin: the order is rotated by the chat's (session's) id, so consecutive chats
   start with different agents; then the busier agents, least busy first.
3. **For how long**: each agent in that order has the chat for the account's offer time
   (`offer_seconds`, 30 by default); if nobody joined by then it is offered to the next,
   and after the last to the first again.

An offer is a suggestion, not a lock: any agent may still join any waiting chat. Offers
are computed from what the database holds (the agents' tabs and choices, their active
chats, when the chat started) each time a console asks, so every server process, with
or without Redis, offers the same chat to the same agent, and nothing needs a timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.chat import presence
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import Availability, Conversation
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor, Scope

DEFAULT_OFFER_SECONDS = 30
MIN_OFFER_SECONDS, MAX_OFFER_SECONDS = 5, 600
ROUTING_CHANGED = "chat.routing"


@dataclass(frozen=True, slots=True)
class Candidate:
    agent_id: int
    active_chats: int


@dataclass(frozen=True, slots=True)
class Offer:
    agent_id: int
    until: int  # when it passes to the next agent (epoch ms)


def candidates(seats: Sequence[presence.Seat], active: dict[int, int]) -> list[Candidate]:
    """Online agents with room under their limit (rule 1)."""
    found = []
    for seat in seats:
        count = active.get(seat.agent.id, 0)
        limit = seat.status.chat_limit
        if seat.shown is Availability.ONLINE and (limit is None or count < limit):
            found.append(Candidate(seat.agent.id, count))
    return found


def order(chat_number: int, found: Sequence[Candidate]) -> list[Candidate]:
    """Least busy first, round robin among them by the chat's number, then the rest (rule 2)."""
    ranked = sorted(found, key=lambda c: (c.active_chats, c.agent_id))
    if not ranked:
        return []
    least = [c for c in ranked if c.active_chats == ranked[0].active_chats]
    turn = chat_number % len(least)
    return least[turn:] + least[:turn] + ranked[len(least) :]


def offer(
    chat_number: int, started: int, found: Sequence[Candidate], offer_seconds: int, now: int
) -> Offer | None:
    """Who has the chat now, and until when (rule 3); None when nobody can take it."""
    line = order(chat_number, found)
    if not line:
        return None
    span = offer_seconds * 1000
    step = max(0, now - started) // span
    return Offer(line[step % len(line)].agent_id, started + (step + 1) * span)


def offers(uow: ChatUnit, actor: Actor, waiting: Sequence[Conversation]) -> dict[str, Offer]:
    """The current offer of each waiting chat, by public id (a fixed number of queries)."""
    if not waiting:
        return {}
    found = candidates(presence.team(uow, actor), uow.presence.active_counts(actor.account_id))
    seconds = offer_seconds(uow, actor)
    starts = uow.presence.chat_starts([c.session_id for c in waiting if c.session_id])
    now = now_ms()
    made = {}
    for chat in waiting:
        started = starts.get(chat.session_id or 0, chat.updated)
        current = offer(chat.session_id or chat.id, started, found, seconds, now)
        if current is not None:
            made[chat.public_id] = current
    return made


def offer_seconds(uow: ChatUnit, actor: Actor) -> int:
    return uow.presence.offer_seconds(actor.account_id) or DEFAULT_OFFER_SECONDS


def set_offer_seconds(uow: ChatUnit, actor: Actor, seconds: int) -> int:
    if Scope.ADMIN not in actor.scopes:
        raise Forbidden("missing_scope", "Setting the offer time needs the admin scope")
    if not MIN_OFFER_SECONDS <= seconds <= MAX_OFFER_SECONDS:
        raise Invalid(
            "invalid_offer_seconds",
            f"The offer time is {MIN_OFFER_SECONDS} to {MAX_OFFER_SECONDS} seconds",
            field="offer_seconds",
        )
    now = now_ms()
    uow.presence.put_offer_seconds(actor.account_id, seconds, now)
    events.record(uow, actor, ROUTING_CHANGED, now, offer_seconds=seconds)
    return seconds
