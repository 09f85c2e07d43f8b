"""Fair assignment on both databases: round robin evenly over available agents, an away
agent skipped, capacities kept, least-open, and the choice in the ticket's log."""

from __future__ import annotations

from collections import Counter

import pytest

from frontdesk.core import tickets
from frontdesk.core.chat import presence
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.core.rules import assignment, define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, RuleKind
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets.records import MessageKind, Status
from tests.conftest import Tenant
from tests.core.helpers import open_ticket


def team(tenant: Tenant, count: int) -> tuple[Inbox, list[Agent]]:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        agents = [
            accounts.create_agent(
                uow,
                tenant.actor,
                AgentFields(name=f"A{i}", email=tenant.address(f"a{i}"), inbox_ids=[inbox.id]),
            )
            for i in range(count)
        ]
        define.create_rule(
            uow, tenant.actor, RuleKind.TRIGGER,
            RuleFields("Fair", conditions=(Condition("event", "is", "ticket.opened"),
                                            Condition("assigned", "is", False)),
                       actions=(Action("assign_fairly"),)),
        )  # fmt: skip
    return inbox, agents


def away(tenant: Tenant, agent: Agent) -> None:
    me = Actor(account_id=tenant.id, label="agent", scopes=frozenset(Scope), agent_id=agent.id)
    with tenant.services.store.write() as uow:
        presence.choose(uow, me, agent.id, "away")


def assignees(tenant: Tenant, ticket_ids: list[int]) -> Counter[int]:
    with tenant.services.store.read() as uow:
        found = uow.tickets.ticket_details(ticket_ids)
    return Counter(agent for ticket_id in ticket_ids for agent in found[ticket_id].assignee_ids)


def test_round_robin_spreads_100_tickets_evenly_and_skips_the_away_agent(tenant: Tenant) -> None:
    inbox, agents = team(tenant, 5)
    away(tenant, agents[2])
    made = [open_ticket(tenant, subject=f"T{i}", inbox_id=inbox.id).id for i in range(100)]
    counts = assignees(tenant, made)
    assert counts == {agent.id: 25 for agent in agents if agent is not agents[2]}
    # In turn, by id: A0, A1, A3, A4, A0, ...
    firsts = [next(iter(assignees(tenant, [ticket_id]))) for ticket_id in made[:5]]
    assert firsts == [agents[0].id, agents[1].id, agents[3].id, agents[4].id, agents[0].id]


def test_the_choice_is_written_in_the_ticket_log(tenant: Tenant) -> None:
    inbox, _agents = team(tenant, 2)
    ticket = open_ticket(tenant, inbox_id=inbox.id)
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
    lines = [m.body_text for m in thread.messages if m.kind is MessageKind.LOG]
    assert "Fair assignment chose A0 (round robin, 0 open before)" in lines
    assert "Assigned to A0" in lines


def test_capacity_is_kept_and_a_full_team_leaves_the_ticket_unassigned(tenant: Tenant) -> None:
    inbox, agents = team(tenant, 2)
    with tenant.services.store.write() as uow:
        assignment.set_capacity(uow, tenant.actor, agents[0].id, 1)
        assignment.set_capacity(uow, tenant.actor, agents[1].id, 2)
    made = [open_ticket(tenant, inbox_id=inbox.id).id for _ in range(4)]
    counts = assignees(tenant, made)
    assert counts == {agents[0].id: 1, agents[1].id: 2}
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, made[3])
    assert thread.details.assignee_ids == ()
    assert "Fair assignment: no agent of the inbox is available" in [
        m.body_text for m in thread.messages
    ]
    with tenant.services.store.write() as uow:  # solving one frees a place
        tickets.set_status(uow, tenant.actor, made[0], Status.SOLVED)
    assert assignees(tenant, [open_ticket(tenant, inbox_id=inbox.id).id]) == {agents[0].id: 1}


def test_least_open_picks_the_agent_with_fewest_open_tickets(tenant: Tenant) -> None:
    inbox, agents = team(tenant, 3)
    with tenant.services.store.write() as uow:
        assignment.set_method(uow, tenant.actor, inbox.id, "least_open")
        for _ in range(2):  # A0 has two open tickets, A1 one, A2 none
            busy = tickets.open_ticket(
                uow, tenant.actor,
                tickets.NewTicket(subject="x", message=tickets.NewMessage("x")),
            ).ticket  # fmt: skip
            tickets.assign(uow, tenant.actor, busy.id, [agents[0].id])
        busy = tickets.open_ticket(
            uow, tenant.actor, tickets.NewTicket(subject="x", message=tickets.NewMessage("x"))
        ).ticket
        tickets.assign(uow, tenant.actor, busy.id, [agents[1].id])
    made = [open_ticket(tenant, inbox_id=inbox.id).id for _ in range(3)]
    firsts = [next(iter(assignees(tenant, [ticket_id]))) for ticket_id in made]
    assert firsts == [agents[2].id, agents[1].id, agents[2].id]


def test_settings_need_admin_and_valid_values(tenant: Tenant, other_tenant: Tenant) -> None:
    inbox, agents = team(tenant, 1)
    agent_only = Actor(account_id=tenant.id, label="agent", scopes=frozenset({Scope.TICKETS_WRITE}))
    with tenant.services.store.write() as uow:
        with pytest.raises(Forbidden):
            assignment.set_method(uow, agent_only, inbox.id, "least_open")
        with pytest.raises(Invalid):
            assignment.set_method(uow, tenant.actor, inbox.id, "random")
        with pytest.raises(Invalid):
            assignment.set_capacity(uow, tenant.actor, agents[0].id, 0)
    with pytest.raises(Exception) as foreign, other_tenant.services.store.write() as uow:
        assignment.set_method(uow, other_tenant.actor, inbox.id, "least_open")
    assert type(foreign.value).__name__ == "NotFound"
