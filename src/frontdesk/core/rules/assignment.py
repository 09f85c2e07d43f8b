"""Fair assignment: a ticket goes to one of its inbox's available agents.

Available: the agent works in the ticket's inbox (an agent with no inboxes works in all),
did not choose "away" as their status, and holds fewer open tickets than their capacity
(no capacity: no limit). Among them the inbox's method chooses:

- **round_robin**: the next agent by id after the one chosen last, wrapping around;
- **least_open**: the agent with the fewest open tickets, the lowest id on a tie.

The choice and its reason are written in the ticket's log. With nobody available the
ticket stays as it is and the log says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from frontdesk.core import tickets
from frontdesk.core.chat import presence
from frontdesk.core.chat.records import Availability
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets.records import Ticket

ASSIGNMENT_SET = "assignment.settings_changed"
MAX_CAPACITY = 1000


class Method(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_OPEN = "least_open"


def set_method(uow: RulesUnit, actor: Actor, inbox_id: int, method: str) -> None:
    _admin(actor)
    inbox = accounts.get_inbox(uow, actor, inbox_id)
    chosen = _method(method)
    now = now_ms()
    current = uow.rules.assignment_of(inbox.id)
    uow.rules.save_assignment(actor.account_id, inbox.id, chosen.value, current and current[1], now)
    events.record(uow, actor, ASSIGNMENT_SET, now, inbox_id=inbox.id, method=chosen.value)


def method_of(uow: RulesUnit, actor: Actor, inbox_id: int) -> Method:
    current = uow.rules.assignment_of(accounts.get_inbox(uow, actor, inbox_id).id)
    return Method.ROUND_ROBIN if current is None else Method(current[0])


def set_capacity(uow: RulesUnit, actor: Actor, agent_id: int, capacity: int | None) -> None:
    _admin(actor)
    agent = accounts.get_agent(uow, actor, agent_id)
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid("invalid_capacity", f"A capacity is 1 to {MAX_CAPACITY}", field="capacity")
    now = now_ms()
    uow.rules.set_capacity(actor.account_id, agent.id, capacity, now)
    events.record(uow, actor, ASSIGNMENT_SET, now, agent_id=agent.id, capacity=capacity)


def capacities(uow: RulesUnit, actor: Actor) -> dict[int, int | None]:
    return uow.rules.capacities(actor.account_id)


def assign_fairly(uow: RulesUnit, actor: Actor, ticket_id: int) -> Agent | None:
    """Assign the ticket to the agent its inbox's method chooses; None when nobody is free."""
    ticket = tickets.get_ticket(uow, actor, ticket_id, lock=True)
    method, last = _settings(uow, ticket)
    candidates = _available(uow, actor, ticket)
    now = now_ms()
    if not candidates:
        tickets.log(uow, actor, ticket, "Fair assignment: no agent of the inbox is available", now)
        return None
    counts = uow.rules.open_counts(actor.account_id, [agent.id for agent in candidates])
    chosen = _choose(method, candidates, counts, last)
    tickets.assign(uow, actor, ticket.id, [chosen.id])
    if ticket.inbox_id is not None:
        uow.rules.save_assignment(actor.account_id, ticket.inbox_id, method.value, chosen.id, now)
    reason = f"{method.value.replace('_', ' ')}, {counts[chosen.id]} open before"
    tickets.log(uow, actor, ticket, f"Fair assignment chose {chosen.name} ({reason})", now)
    return chosen


def _choose(
    method: Method, candidates: Sequence[Agent], counts: dict[int, int], last: int | None
) -> Agent:
    if method is Method.LEAST_OPEN:
        return min(candidates, key=lambda agent: (counts[agent.id], agent.id))
    after = [agent for agent in candidates if last is not None and agent.id > last]
    return (after or list(candidates))[0]


def _settings(uow: RulesUnit, ticket: Ticket) -> tuple[Method, int | None]:
    if ticket.inbox_id is None:
        return Method.ROUND_ROBIN, None
    # Locked until commit: two tickets assigned at once take turns, so both see the other's
    # choice and round robin stays even under concurrent creates.
    method, last = uow.rules.lock_assignment(
        ticket.account_id, ticket.inbox_id, Method.ROUND_ROBIN.value, now_ms()
    )
    return Method(method), last


def _available(uow: RulesUnit, actor: Actor, ticket: Ticket) -> list[Agent]:
    seats = presence.team(uow, actor)
    away = {seat.agent.id for seat in seats if seat.status.chosen is Availability.AWAY}
    workers = [
        agent
        for agent in accounts.list_agents(uow, actor)
        if agent.id not in away
        and (not agent.inbox_ids or ticket.inbox_id is None or ticket.inbox_id in agent.inbox_ids)
    ]
    limits = uow.rules.capacities(actor.account_id)
    limited = [agent.id for agent in workers if limits.get(agent.id) is not None]
    counts = uow.rules.open_counts(actor.account_id, limited) if limited else {}
    return sorted(
        (a for a in workers if a.id not in counts or counts[a.id] < (limits[a.id] or 0)),
        key=lambda agent: agent.id,
    )


def _method(value: str) -> Method:
    try:
        return Method(value)
    except ValueError:
        raise Invalid("invalid_method", "round_robin or least_open", field="method") from None


def _admin(actor: Actor) -> None:
    if Scope.ADMIN not in actor.scopes:
        raise Forbidden("missing_scope", "Changing assignment settings needs the admin scope")
