"""SLA warnings and breaches as agents' notifications (bell and mail), on real databases
with a controllable clock: the sweep records the warning once, and the ticket's assignee
hears of it once (never twice on the next sweep), with a mail threaded on the ticket;
unassigned, the agents of its inbox hear; the preference off, nobody; and the agent whose
own late reply recorded the breach is not told of it."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.notify import derive, inbox
from frontdesk.core.notify.records import Kind, Preferences
from frontdesk.core.shared.records import Event
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import Ticket
from frontdesk.storage import tables as t
from tests.automation.conftest import Clock
from tests.automation.test_sla import office_policy
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.statements import counted
from tests.unit.test_calendars import utc

SLA_KINDS = (Kind.SLA_WARNING, Kind.SLA_BREACH)


def _desk(tenant: Tenant, clock: Clock) -> Ticket:
    """A ticket under the office policy: first response due Mon 28 Dec 08:30 UTC, the
    warning from 08:15 (tests/automation/test_sla.py)."""
    with tenant.services.store.write() as uow:  # notification mail needs an address to leave
        accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
    office_policy(tenant)
    clock.at("2026-12-23 15:30")
    return open_ticket(tenant, subject="Printer on fire")


def _assign(tenant: Tenant, ticket: Ticket, *agents: Agent) -> None:
    with tenant.services.store.write() as uow:
        tickets.assign(uow, tenant.actor, ticket.id, [agent.id for agent in agents])


def _sweep(tenant: Tenant, moment: str) -> None:
    with tenant.services.store.write() as uow:
        sl.sweep(uow, utc(moment))


def _told(tenant: Tenant, agent: Agent) -> list[tuple[Kind, int | None]]:
    with tenant.services.store.read() as uow:
        shown = inbox.notifications_of(uow, tenant.actor, agent.id, before_id=None, limit=100)
    return [(s.notification.kind, s.notification.ticket_id) for s in shown
            if s.notification.kind in SLA_KINDS]  # fmt: skip


def _mails(tenant: Tenant, agent: Agent) -> list[tuple[str, str | None]]:
    with tenant.services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.outbox.c.subject, t.outbox.c.in_reply_to)
            .where(t.outbox.c.to_addr == agent.email, t.outbox.c.kind == "notification")
            .order_by(t.outbox.c.id)
        ).all()
    return [(row.subject, row.in_reply_to) for row in rows]


def test_the_assignee_hears_of_the_warning_once_and_then_of_the_breach(
    tenant: Tenant, clock: Clock
) -> None:
    ticket = _desk(tenant, clock)
    maja, bo = add_agent(tenant, "Maja"), add_agent(tenant, "Bo")
    _assign(tenant, ticket, maja)
    _sweep(tenant, "2026-12-28 08:00")  # nothing due yet
    assert _told(tenant, maja) == []

    _sweep(tenant, "2026-12-28 08:15")
    assert _told(tenant, maja) == [(Kind.SLA_WARNING, ticket.id)]
    _sweep(tenant, "2026-12-28 08:20")  # the next sweep: not told twice
    assert _told(tenant, maja) == [(Kind.SLA_WARNING, ticket.id)]
    assert _told(tenant, bo) == []  # assigned to Maja: only she hears

    _sweep(tenant, "2026-12-28 08:30")
    assert _told(tenant, maja) == [(Kind.SLA_BREACH, ticket.id), (Kind.SLA_WARNING, ticket.id)]
    mails = _mails(tenant, maja)
    subjects = [subject for subject, _root in mails]
    assert any("The SLA runs out soon" in s and "Printer on fire" in s for s in subjects)
    assert sum("The SLA was breached" in s for s in subjects) == 1
    # One thread per ticket: the SLA mails name the same root as the assignment's mail.
    assert len({root for _subject, root in mails}) == 1
    assert mails[0][1] is not None and mails[0][1].startswith("<ticket-")


def test_an_unassigned_ticket_tells_the_agents_of_its_inbox(tenant: Tenant, clock: Clock) -> None:
    ticket = _desk(tenant, clock)
    maja = add_agent(tenant, "Maja")
    with tenant.services.store.write() as uow:  # Bo works in sales only
        sales = accounts.create_inbox(uow, tenant.actor, "Sales", tenant.address("sales"))
        bo = accounts.create_agent(uow, tenant.actor, AgentFields(
            name="Bo", email=tenant.address("bo"), inbox_ids=(sales.id,)))  # fmt: skip
    _sweep(tenant, "2026-12-28 08:15")
    assert _told(tenant, maja) == [(Kind.SLA_WARNING, ticket.id)]
    assert _told(tenant, bo) == []


def test_with_the_preference_off_the_agent_gets_neither_bell_nor_mail(
    tenant: Tenant, clock: Clock
) -> None:
    ticket = _desk(tenant, clock)
    maja = add_agent(tenant, "Maja")
    _assign(tenant, ticket, maja)
    without = frozenset(Kind) - {Kind.SLA_WARNING}
    with tenant.services.store.write() as uow:
        inbox.set_preferences(uow, tenant.actor, maja.id, Preferences(web=without, email=without))
    _sweep(tenant, "2026-12-28 08:15")
    assert _told(tenant, maja) == []
    assert not any("SLA" in subject for subject, _root in _mails(tenant, maja))
    with tenant.services.store.read() as uow:
        saved = inbox.preferences_of(uow, tenant.actor, maja.id)
    assert Kind.SLA_WARNING not in saved.web and Kind.SLA_BREACH in saved.web


def test_the_agent_whose_late_reply_records_the_breach_is_not_told(
    tenant: Tenant, clock: Clock
) -> None:
    ticket = _desk(tenant, clock)
    maja, bo = add_agent(tenant, "Maja"), add_agent(tenant, "Bo")
    _assign(tenant, ticket, maja, bo)
    clock.at("2026-12-28 08:45")  # past due, and no sweep ran
    with tenant.services.store.write() as uow:
        tickets.add_message(uow, sessions.agent_actor(maja), ticket.id,
                            NewMessage(body_text="Sorry, on it", agent_id=maja.id))  # fmt: skip
    assert _told(tenant, maja) == []
    assert _told(tenant, bo) == [(Kind.SLA_BREACH, ticket.id)]


def test_a_sweeps_alarms_are_addressed_in_a_fixed_number_of_reads(tenant: Tenant) -> None:
    # A sweep records an alarm or two per ticket in one transaction; who hears of them was
    # read per alarm (the ticket, its assignees, the inbox's agents: 3 reads each).
    maja, bo = add_agent(tenant, "Maja"), add_agent(tenant, "Bo")
    few = [open_ticket(tenant, subject=f"few {n}") for n in range(3)]
    many = [open_ticket(tenant, subject=f"many {n}") for n in range(30)]
    _assign(tenant, few[0], maja)
    _assign(tenant, many[0], maja)
    with tenant.services.store.write() as uow:  # bell only: the mails' reads are not the point
        for agent in (maja, bo):
            inbox.set_preferences(uow, tenant.actor, agent.id, Preferences(email=frozenset()))
    reads, told = [], []
    for batch in (few, many):
        alarms = [Event(tenant.id, kind, "sla", ticket_id=ticket.id)
                  for ticket in batch for kind in (sl.SLA_WARNING, sl.SLA_BREACHED)]  # fmt: skip
        with tenant.services.store.write() as uow, counted(tenant.services) as cost:
            made = derive.notify(uow, alarms, "http://frontdesk.test")
        reads.append(cost.selects)
        told.append(sorted((n.agent_id, n.ticket_id) for n in made if n.kind is Kind.SLA_BREACH))
    assert reads[0] == reads[1] <= 5  # tickets, tags and assignees, agents, preferences
    # Still the assignee when there is one, else every agent of the (any) inbox.
    assert told[0] == sorted([(maja.id, few[0].id)] + [(agent.id, ticket.id)
                             for ticket in few[1:] for agent in (maja, bo)])  # fmt: skip
    assert len(told[1]) == 1 + 2 * 29
