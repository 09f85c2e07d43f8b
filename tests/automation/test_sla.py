"""SLA policies on real databases (SQLite and PostgreSQL) with a controllable clock.

The calendar and targets are those of tests/unit/test_sla_clocks.py (Stockholm office
hours, 60 / 120 / 480 business minutes, warnings 15 minutes before), so the due times
below are the same hand-worked figures, now stored and moved by the real core functions
in the transactions that moved them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.records import TicketSla
from frontdesk.core.automation.service_levels import CalendarFields, PolicyFields
from frontdesk.core.automation.sla import Metric, Targets
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import NewMessage, drafts, queues
from frontdesk.core.tickets.records import Priority, Status
from frontdesk.services.rules import SlaSweepJob
from frontdesk.storage import tables as t
from tests.automation.conftest import Clock
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.unit.test_calendars import utc

OFFICE = CalendarFields(
    name="Stockholm office",
    zone="Europe/Stockholm",
    hours=dict.fromkeys(range(5), "09:00-17:00"),
    holidays=["2026-12-24", "2026-12-25"],
)
NORMAL = {Priority.NORMAL: Targets(60, 120, 480), Priority.URGENT: Targets(15, 30, 120)}


def office_policy(tenant: Tenant, **extra: object) -> int:
    with tenant.services.store.write() as uow:
        calendar = sl.create_calendar(uow, tenant.actor, OFFICE)
        fields = PolicyFields(
            name="Standard", targets=NORMAL, calendar_id=calendar.id, warn_minutes=15,
            **extra,  # type: ignore[arg-type]
        )  # fmt: skip
        return sl.create_policy(uow, tenant.actor, fields).id


def stored(tenant: Tenant, ticket_id: int) -> TicketSla:
    with tenant.services.store.read() as uow:
        found = sl.ticket_sla(uow, tenant.actor, ticket_id)
    assert found is not None
    return found


def due(tenant: Tenant, ticket_id: int, metric: Metric) -> int | None:
    timer = stored(tenant, ticket_id).state.timer(metric)
    assert timer is not None
    return timer.due


def customer_writes(tenant: Tenant, ticket_id: int) -> None:
    with tenant.services.store.write() as uow:
        ticket = uow.tickets.get_ticket(tenant.id, ticket_id)
        assert ticket is not None and ticket.requester_id is not None
        customer = Actor(tenant.id, "customer", frozenset({Scope.TICKETS_WRITE}),
                         contact_id=ticket.requester_id)  # fmt: skip
        tickets.add_message(uow, customer, ticket_id, NewMessage(body_text="Any news?"))


def agent_replies(tenant: Tenant, ticket_id: int, agent_id: int) -> None:
    with tenant.services.store.write() as uow:
        tickets.add_message(
            uow, tenant.actor, ticket_id, NewMessage(body_text="On it", agent_id=agent_id)
        )


def kinds(tenant: Tenant, ticket_id: int) -> list[str]:
    with tenant.services.store.read() as uow:
        return [kind for kind, _, _ in uow.events.list_events(tenant.id, ticket_id)]


def test_due_times_move_with_the_events_that_move_them(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    agent = add_agent(tenant, "Maja")
    ticket = open_ticket(tenant)  # Mon 10:00 Stockholm
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 10:00")
    assert stored(tenant, ticket.id).due == utc("2026-11-23 10:00")

    clock.at("2026-11-23 09:30")
    agent_replies(tenant, ticket.id, agent.id)  # pending: every clock pauses
    row = stored(tenant, ticket.id)
    assert row.state.status is Status.PENDING and row.due is None and not row.breached

    clock.at("2026-11-24 12:00")  # Tue 13:00
    customer_writes(tenant, ticket.id)
    assert due(tenant, ticket.id, Metric.NEXT_RESPONSE) == utc("2026-11-24 14:00")
    assert due(tenant, ticket.id, Metric.RESOLUTION) == utc("2026-11-25 11:30")
    assert stored(tenant, ticket.id).due == utc("2026-11-24 14:00")

    clock.at("2026-11-24 13:00")
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.ON_HOLD)
    clock.at("2026-11-26 08:00")  # Thu 09:00: two days on hold cost nothing
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.REPLY)
    # next response had 60 min left: Thu 10:00; resolution 480 - 30 - 60 = 390: 15:30.
    assert due(tenant, ticket.id, Metric.NEXT_RESPONSE) == utc("2026-11-26 09:00")
    assert due(tenant, ticket.id, Metric.RESOLUTION) == utc("2026-11-26 14:30")


def test_a_customer_reply_reopening_a_pending_ticket_is_a_status_change_the_clocks_follow(
    tenant: Tenant, clock: Clock
) -> None:
    office_policy(tenant)
    ticket = open_ticket(tenant)  # Mon 10:00 Stockholm; first response due 11:00
    clock.at("2026-11-23 09:30")  # 30 minutes counted
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.PENDING)
    assert stored(tenant, ticket.id).due is None  # every clock paused

    clock.at("2026-11-24 12:00")  # Tue 13:00: the customer's reply reopens it
    customer_writes(tenant, ticket.id)
    with tenant.services.store.read() as uow:
        changes = [(d["before"], d["after"]) for k, _, d in uow.events.list_events(
            tenant.id, ticket.id) if k == "ticket.status_changed"]  # fmt: skip
    assert changes == [("new", "pending"), ("pending", "reply")]
    row = stored(tenant, ticket.id)
    assert row.state.status is Status.REPLY
    # first response: 30 of 60 minutes left from Tue 13:00; resolution: 450 of 480
    # (four hours on Tuesday, 3.5 on Wednesday). The day pending cost nothing.
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-24 12:30")
    assert due(tenant, ticket.id, Metric.RESOLUTION) == utc("2026-11-25 11:30")


def test_the_sweep_records_a_warning_then_a_breach_once_each(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    clock.at("2026-12-23 15:30")  # Wed 16:30; first response due Mon 28 Dec 09:30
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        sl.sweep(uow, utc("2026-12-25 12:00"))
    assert sl.SLA_WARNING not in kinds(tenant, ticket.id)
    with tenant.services.store.write() as uow:
        sl.sweep(uow, utc("2026-12-28 08:15"))
    assert kinds(tenant, ticket.id).count(sl.SLA_WARNING) == 1
    for moment in ("2026-12-28 08:30", "2026-12-28 08:31", "2026-12-28 09:00"):
        with tenant.services.store.write() as uow:
            sl.sweep(uow, utc(moment))
    assert kinds(tenant, ticket.id).count(sl.SLA_BREACHED) == 1
    assert kinds(tenant, ticket.id).count(sl.SLA_WARNING) == 1
    row = stored(tenant, ticket.id)
    assert row.breached
    # Still counting, and overdue: it sorts first in "due soonest".
    assert row.due == utc("2026-12-28 08:30")
    with tenant.services.store.read() as uow:
        data = [d for k, _, d in uow.events.list_events(tenant.id, ticket.id)
                if k == sl.SLA_BREACHED]  # fmt: skip
    assert data == [{"metric": "first_response", "due": utc("2026-12-28 08:30"),
                     "policy_id": row.policy_id}]  # fmt: skip


def test_a_late_reply_records_the_breach_the_sweep_missed(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    agent = add_agent(tenant, "Maja")
    ticket = open_ticket(tenant)
    clock.at("2026-11-23 10:05")  # due 10:00, no sweep ran
    agent_replies(tenant, ticket.id, agent.id)
    assert kinds(tenant, ticket.id).count(sl.SLA_BREACHED) == 1
    assert stored(tenant, ticket.id).breached


def test_a_policy_applies_to_open_tickets_from_then_on(tenant: Tenant, clock: Clock) -> None:
    ticket = open_ticket(tenant)  # no policy yet: no clocks
    with tenant.services.store.read() as uow:
        assert sl.ticket_sla(uow, tenant.actor, ticket.id) is None
    clock.at("2026-11-23 12:00")  # Mon 13:00
    policy_id = office_policy(tenant)
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 13:00")

    clock.at("2026-11-23 12:30")  # 30 min counted under the old target
    with tenant.services.store.write() as uow:
        calendar_id = sl.list_calendars(uow, tenant.actor)[0].id
        looser = {Priority.NORMAL: Targets(240, 120, 480)}
        sl.update_policy(uow, tenant.actor, policy_id,
                         PolicyFields("Standard", looser, calendar_id=calendar_id))  # fmt: skip
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 16:00")


def test_a_team_reply_counts_as_the_first_response(tenant: Tenant, clock: Clock) -> None:
    ticket = open_ticket(tenant)  # no policy yet: no clocks
    with tenant.services.store.write() as uow:  # a rule's or macro's reply: no agent, no contact
        tickets.add_message(uow, tenant.actor, ticket.id, NewMessage("Got it", by_team=True))
    with tenant.services.store.read() as uow:
        assert uow.sla.agent_replied([ticket.id]) == {ticket.id}
    clock.at("2026-11-23 12:00")
    office_policy(tenant)
    state = stored(tenant, ticket.id).state
    assert state.replied
    assert state.timer(Metric.FIRST_RESPONSE) is None  # answered: no first response owed


def test_quiet_events_leave_the_clocks_alone(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    ticket = open_ticket(tenant)  # Mon 10:00 Stockholm: clocks stored now
    maja = add_agent(tenant, "Maja")
    agent = replace(tenant.actor, agent_id=maja.id)
    clock.at("2026-11-23 10:00")
    with tenant.services.store.write() as uow:  # a read mark and a draft move no clock
        assert queues.mark_read(uow, agent, ticket.id)
        drafts.save(uow, agent, ticket.id, "reply", drafts.DraftText("Thinking"))
    with tenant.services.store.read() as uow:
        ts = t.ticket_sla
        updated = uow.conn.execute(select(ts.c.updated).where(ts.c.ticket_id == ticket.id))
        assert updated.scalar_one() == utc("2026-11-23 09:00")  # not written again


def test_a_new_policy_leaves_archived_tickets_alone(tenant: Tenant, clock: Clock) -> None:
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        tickets.archive(uow, tenant.actor, ticket.id)
    office_policy(tenant)
    with tenant.services.store.read() as uow:
        assert sl.ticket_sla(uow, tenant.actor, ticket.id) is None


def test_priority_and_label_choose_the_targets(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant, position=1)
    with tenant.services.store.write() as uow:
        vip = {Priority.NORMAL: Targets(30, 60, 240)}
        sl.create_policy(uow, tenant.actor, PolicyFields("VIP", vip, label="vip", position=0))
    ticket = open_ticket(tenant)
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 10:00")
    with tenant.services.store.write() as uow:
        tickets.set_priority(uow, tenant.actor, ticket.id, Priority.URGENT)
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 09:15")
    clock.at("2026-11-23 09:10")
    with tenant.services.store.write() as uow:
        tickets.set_priority(uow, tenant.actor, ticket.id, Priority.NORMAL)
        tickets.set_labels(uow, tenant.actor, ticket.id, ["vip"])
    # The VIP policy has no calendar: every minute counts, 30 from the opening.
    assert due(tenant, ticket.id, Metric.FIRST_RESPONSE) == utc("2026-11-23 09:30")


def test_clocks_roll_back_with_the_change_that_moved_them(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    ticket = open_ticket(tenant)

    def fail_after_the_change() -> None:
        with tenant.services.store.write() as uow:
            tickets.set_status(uow, tenant.actor, ticket.id, Status.PENDING)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        fail_after_the_change()
    assert stored(tenant, ticket.id).due == utc("2026-11-23 10:00")
    with tenant.services.store.read() as uow:
        rows = uow.conn.execute(
            select(t.ticket_sla.c.ticket_id).where(t.ticket_sla.c.account_id == tenant.id)
        ).all()
    assert len(rows) == 1


def test_bad_settings_are_refused_with_clear_errors(
    tenant: Tenant, other_tenant: Tenant, clock: Clock
) -> None:
    theirs = office_policy(other_tenant)
    with tenant.services.store.write() as uow:
        with pytest.raises(Invalid) as caught:
            sl.create_calendar(uow, tenant.actor, CalendarFields("X", "Europe/Nowhere", {0: "9-5"}))
        assert caught.value.code in {"invalid_hours", "unknown_time_zone"}
        with pytest.raises(Invalid) as caught:
            sl.create_calendar(uow, tenant.actor, CalendarFields("X", "UTC", {}))
        assert caught.value.code == "required"
        bad_day = CalendarFields("X", "UTC", {0: "09:00-17:00"}, ["24 Dec"])
        with pytest.raises(Invalid) as caught:
            sl.create_calendar(uow, tenant.actor, bad_day)
        assert caught.value.code == "invalid_date"
        with pytest.raises(Invalid):
            sl.create_policy(uow, tenant.actor,
                             PolicyFields("P", {Priority.LOW: Targets(0, None, None)}))  # fmt: skip
        with pytest.raises(NotFound):  # another account's policy is no policy here
            sl.get_policy(uow, tenant.actor, theirs)
        with pytest.raises(NotFound):
            sl.create_policy(uow, tenant.actor, PolicyFields("P", NORMAL, inbox_id=999_999))
        agent = Actor(tenant.id, "agent", frozenset({Scope.TICKETS_WRITE}), agent_id=1)
        with pytest.raises(Forbidden):
            sl.create_policy(uow, agent, PolicyFields("P", NORMAL))
        assert sl.list_policies(uow, tenant.actor) == []


def test_another_accounts_ticket_shows_no_clocks(
    tenant: Tenant, other_tenant: Tenant, clock: Clock
) -> None:
    office_policy(other_tenant)
    theirs = open_ticket(other_tenant)
    assert stored(other_tenant, theirs.id).due is not None
    with tenant.services.store.read() as uow, pytest.raises(NotFound):
        sl.ticket_sla(uow, tenant.actor, theirs.id)


def test_the_schedulers_sla_job_sweeps_every_due_batch(tenant: Tenant, clock: Clock) -> None:
    """serve runs the sweep as a scheduler job (services/rules.py): with batches of one,
    it keeps going until every due ticket has its breach."""
    office_policy(tenant)
    clock.at("2026-12-23 15:30")
    made = [open_ticket(tenant).id for _ in range(3)]
    job = SlaSweepJob(batch=1)
    assert job.run(tenant.services.store, utc("2026-12-28 09:00")) >= 3
    for ticket_id in made:
        assert kinds(tenant, ticket_id).count(sl.SLA_BREACHED) == 1
