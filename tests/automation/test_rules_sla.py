"""Time rules on SLA subjects (issue 19), both databases, the clock in the test's hands.

The policy is tests/automation/test_sla.py's (Stockholm office hours; first response 60,
next response 120, resolution 480 business minutes), so the due times are its hand-worked
ones; the rules read them from the stored clocks (`ticket_sla`).
"""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.rules import define, running
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Rule, RuleKind
from frontdesk.core.shared.errors import Invalid
from frontdesk.services.rules import SlaSweepJob, TimeRulesJob
from tests.automation.conftest import Clock
from tests.automation.test_sla import agent_replies, customer_writes, office_policy
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.unit.test_calendars import utc


def time_rule(tenant: Tenant, name: str, condition: Condition, tag: str) -> Rule:
    with tenant.services.store.write() as uow:
        fields = RuleFields(name, conditions=(condition,), actions=(Action("add_tags", (tag,)),))
        return define.create_rule(uow, tenant.actor, RuleKind.TIME_RULE, fields)


def sweep(tenant: Tenant, moment: str) -> None:
    """The scheduler's two jobs at `moment`: SLA alarms first, then the time rules."""
    SlaSweepJob().run(tenant.services.store, utc(moment))
    TimeRulesJob().run(tenant.services.store, utc(moment))


def fired(tenant: Tenant, ticket_id: int) -> list[object]:
    with tenant.services.store.read() as uow:
        return [
            data["rule"]
            for kind, _actor, data in uow.events.list_events(tenant.id, ticket_id)
            if kind == "rule.fired"
        ]


def tags(tenant: Tenant, ticket_id: int) -> tuple[str, ...]:
    with tenant.services.store.read() as uow:
        return tickets.load_thread(uow, tenant.actor, ticket_id).details.tags


def test_breaches_within_an_hour_then_breached_each_fire_once(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    time_rule(tenant, "Soon", Condition("sla.due_minutes", "at_most", 60), "sla-soon")
    time_rule(tenant, "Late", Condition("sla.breached", "is", "true"), "sla-late")
    clock.at("2026-12-23 15:30")  # Wed 16:30 Stockholm; first response due Mon 28 Dec 08:30
    ticket = open_ticket(tenant)
    sweep(tenant, "2026-12-25 12:00")  # Christmas: three business days away
    assert fired(tenant, ticket.id) == []
    sweep(tenant, "2026-12-28 07:31")  # 59 minutes before the due time
    sweep(tenant, "2026-12-28 08:00")  # the same state: not again
    assert fired(tenant, ticket.id) == ["Soon"]
    sweep(tenant, "2026-12-28 08:31")  # the SLA job records the breach, then the rule sees it
    sweep(tenant, "2026-12-28 09:30")
    assert fired(tenant, ticket.id) == ["Soon", "Late"]
    assert tags(tenant, ticket.id) == ("sla-late", "sla-soon")


def test_a_ticket_no_policy_covers_never_matches_the_due_subjects(
    tenant: Tenant, clock: Clock
) -> None:
    time_rule(tenant, "Soon", Condition("sla.due_minutes", "at_most", 60), "sla-soon")
    time_rule(tenant, "Late", Condition("sla.breached", "is", "true"), "sla-late")
    ticket = open_ticket(tenant)
    sweep(tenant, "2026-11-30 09:00")  # a week later, nothing is due: there is no clock
    assert fired(tenant, ticket.id) == []


def test_each_next_response_run_fires_the_rule_again(tenant: Tenant, clock: Clock) -> None:
    office_policy(tenant)
    agent = add_agent(tenant, "Maja")
    time_rule(
        tenant, "Answer soon", Condition("sla.next_response_due_minutes", "at_most", 30), "nudge"
    )
    ticket = open_ticket(tenant)  # Mon 23 Nov 10:00 Stockholm
    clock.at("2026-11-23 09:30")
    agent_replies(tenant, ticket.id, agent.id)
    clock.at("2026-11-24 12:00")  # Tue 13:00: next response due 15:00 (14:00 UTC)
    customer_writes(tenant, ticket.id)
    sweep(tenant, "2026-11-24 13:00")  # an hour left: not yet
    assert fired(tenant, ticket.id) == []
    sweep(tenant, "2026-11-24 13:45")
    sweep(tenant, "2026-11-24 13:50")
    assert fired(tenant, ticket.id) == ["Answer soon"]
    clock.at("2026-11-24 13:55")
    agent_replies(tenant, ticket.id, agent.id)
    clock.at("2026-11-24 14:30")  # Tue 15:30: a new run, due Wed 09:30 (08:30 UTC)
    customer_writes(tenant, ticket.id)
    sweep(tenant, "2026-11-24 16:00")  # 90 business minutes left
    assert fired(tenant, ticket.id) == ["Answer soon"]
    sweep(tenant, "2026-11-25 08:10")
    sweep(tenant, "2026-11-25 08:20")
    assert fired(tenant, ticket.id) == ["Answer soon", "Answer soon"]


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        (Condition("sla.nonsense_minutes", "at_most", 5), "unknown_condition"),
        (Condition("sla.breached", "at_least", "true"), "unknown_operator"),
        (Condition("sla.due_minutes", "is", "5"), "unknown_operator"),
    ],
)
def test_bad_sla_conditions_are_refused_and_nothing_is_stored(
    tenant: Tenant, condition: Condition, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        time_rule(tenant, "Bad", condition, "x")
    assert refused.value.code == code
    with tenant.services.store.read() as uow:
        assert define.list_rules(uow, tenant.actor, RuleKind.TIME_RULE) == []


def test_an_sla_subject_alone_makes_a_time_rule(tenant: Tenant) -> None:
    rule = time_rule(tenant, "Late", Condition("sla.breached", "is", "true"), "late")
    with tenant.services.store.read() as uow:
        (stored,) = define.list_rules(uow, tenant.actor, RuleKind.TIME_RULE)
    assert stored.id == rule.id
    assert stored.conditions == (Condition("sla.breached", "is", "true"),)


def test_business_hours_follow_the_calendar_of_the_tickets_policy(
    tenant: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(running, "now_ms", clock)  # the triggers' "now" too
    office_policy(tenant)  # Stockholm, weekdays 09:00-17:00
    with tenant.services.store.write() as uow:
        fields = RuleFields(
            "Out of hours",
            conditions=(Condition("event", "is", "ticket.opened"),
                        Condition("business_hours", "is", False)),
            actions=(Action("add_tags", ("closed",)),),
        )  # fmt: skip
        define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)
    clock.at("2026-11-28 12:00")  # a Saturday
    weekend = open_ticket(tenant)
    clock.at("2026-11-24 20:00")  # Tuesday 21:00 in Stockholm
    evening = open_ticket(tenant)
    clock.at("2026-11-24 09:00")  # Tuesday 10:00 in Stockholm
    morning = open_ticket(tenant)
    assert tags(tenant, weekend.id) == ("closed",)
    assert tags(tenant, evening.id) == ("closed",)
    assert tags(tenant, morning.id) == ()
