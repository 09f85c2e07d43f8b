"""Agents' chat status: online, away or offline, and how many chats each takes at once.

The agent chooses a status in the console. What the team sees is that choice tempered by
the agent's console tabs, each renewed by a heartbeat every HEARTBEAT seconds:

- **offline** when the agent chose it, or when no tab of theirs was heard from within
  TAB_EXPIRY seconds (the last tab closed, said so on leaving, or went quiet);
- **away** when the agent chose it, or when none of their live tabs was used for
  AWAY_AFTER seconds (the tab says so in its heartbeat);
- **online** otherwise.

Tabs live in the database, so every server process sees the same team. Heartbeats are
not events (they would drown the log); a change of the chosen status or limit is.
The chat limit (None: none) caps the active chats an agent holds: joining or receiving
a transfer beyond it is refused with `chat_limit_reached`.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import AgentChatStatus, Availability
from frontdesk.core.identity.accounts import get_agent
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid
from frontdesk.core.shared.records import Actor, Scope

HEARTBEAT = 15  # seconds between a console tab's heartbeats
TAB_EXPIRY = 40  # seconds after which a silent tab counts as closed
AWAY_AFTER = 300  # seconds without a key or a click before a tab says it is idle
MAX_LIMIT = 100
AGENT_STATUS_CHANGED = "chat.agent_status"


@dataclass(frozen=True, slots=True)
class Seat:
    """An agent as the team sees them in chat."""

    agent: Agent
    status: AgentChatStatus
    shown: Availability
    active_chats: int | None = None


def shown(status: AgentChatStatus) -> Availability:
    """What the team sees, from the agent's choice and their tabs (the rule above)."""
    if status.chosen is Availability.OFFLINE or status.live_tabs == 0:
        return Availability.OFFLINE
    if status.chosen is Availability.AWAY or status.active_tabs == 0:
        return Availability.AWAY
    return Availability.ONLINE


def choose(uow: ChatUnit, actor: Actor, agent_id: int, value: str) -> None:
    """The agent sets their own status."""
    agent = _self(uow, actor, agent_id)
    try:
        chosen = Availability(value)
    except ValueError:
        raise Invalid("invalid_status", "online, away or offline", field="status") from None
    now = now_ms()
    uow.presence.put_status(actor.account_id, agent.id, {"status": chosen.value}, now)
    events.record(uow, actor, AGENT_STATUS_CHANGED, now, agent_id=agent.id, status=chosen.value)


def set_limit(uow: ChatUnit, actor: Actor, agent_id: int, limit: int | None) -> None:
    """An admin sets how many chats the agent takes at once (None: no limit)."""
    if Scope.ADMIN not in actor.scopes:
        raise Forbidden("missing_scope", "Setting a chat limit needs the admin scope")
    agent = get_agent(uow, actor, agent_id)
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise Invalid("invalid_limit", f"A chat limit is 1 to {MAX_LIMIT}", field="chat_limit")
    now = now_ms()
    uow.presence.put_status(actor.account_id, agent.id, {"chat_limit": limit}, now)
    events.record(uow, actor, AGENT_STATUS_CHANGED, now, agent_id=agent.id, chat_limit=limit)


def limits(uow: ChatUnit, actor: Actor) -> dict[int, int]:
    """The chat limit of each agent of the account that has one."""
    return {
        status.agent_id: status.chat_limit
        for status in uow.presence.statuses(actor.account_id, now_ms())
        if status.chat_limit is not None
    }


def heartbeat(uow: ChatUnit, actor: Actor, agent_id: int, tab: str, active: bool) -> None:
    """A console tab is open (and was used lately, or not). Old silent tabs are dropped."""
    agent = _self(uow, actor, agent_id)
    now = now_ms()
    uow.presence.beat(actor.account_id, agent.id, _tab(tab), active, now)
    uow.presence.forget_tabs(now - 10 * TAB_EXPIRY * 1000)


def tab_closed(uow: ChatUnit, actor: Actor, agent_id: int, tab: str) -> None:
    agent = _self(uow, actor, agent_id)
    uow.presence.close_tab(agent.id, _tab(tab))


def team(uow: ChatUnit, actor: Actor) -> list[Seat]:
    """Every agent of the account with their chat status, in id order."""
    agents = {agent.id: agent for agent in uow.accounts.list_agents(actor.account_id)}
    since = now_ms() - TAB_EXPIRY * 1000
    return [
        Seat(agents[status.agent_id], status, shown(status))
        for status in uow.presence.statuses(actor.account_id, since)
        if status.agent_id in agents
    ]


def seat_of(uow: ChatUnit, actor: Actor, agent_id: int) -> Seat:
    for seat in team(uow, actor):
        if seat.agent.id == agent_id:
            count = uow.presence.active_chats(actor.account_id, agent_id)
            return Seat(seat.agent, seat.status, seat.shown, count)
    get_agent(uow, actor, agent_id)  # not of this account: NotFound
    raise AssertionError("an agent of the account has a seat")


def check_room(uow: ChatUnit, actor: Actor, agent: Agent) -> None:
    """Refuse one more active chat for an agent at their limit."""
    limit = uow.presence.chat_limit(agent.id)
    if limit is not None and uow.presence.active_chats(actor.account_id, agent.id) >= limit:
        raise Conflict("chat_limit_reached", f"{agent.name} already has {limit} chats, their limit")


def _self(uow: ChatUnit, actor: Actor, agent_id: int) -> Agent:
    agent = get_agent(uow, actor, agent_id)
    if actor.agent_id is not None and actor.agent_id != agent.id:
        raise Forbidden("not_yourself", "Agents set their own status")
    return agent


def _tab(tab: str) -> str:
    if not 8 <= len(tab) <= 64 or not tab.isascii() or not tab.isprintable():
        raise Invalid("invalid_tab", "A tab id is 8 to 64 printable characters", field="tab")
    return tab
