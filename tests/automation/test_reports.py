"""Report figures on real databases with a controllable clock, against a week worked by
hand (docs/automation.md, "Reports").

Calendar: Stockholm office hours (Mon-Fri 09:00-17:00, UTC+1 in November). Times UTC.
- T1 opened Mon 23 Nov 09:00 (10:00 local); answered 09:30; solved 11:00.
  First response 30 min; resolution 120 min (both inside office hours).
- T2 opened Mon 15:00 (16:00 local); answered Tue 08:30 (09:30 local); solved Tue 10:00.
  First response 60 + 30 = 90 business min (17 h 30 min elapsed); resolution 60 + 120 = 180.
- T3 opened Tue 12:00, never answered. T4 opened Tue 13:00 in another inbox, answered
  13:10: first response 10 min.
Nearest rank: first responses [10, 30, 90]: median rank 2 = 30, p90 rank 3 = 90.
Resolutions [120, 180]: median rank 1 = 120, p90 rank 2 = 180.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from frontdesk.core import tickets
from frontdesk.core.automation import reports
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.reports import ReportQuery, nearest_rank
from frontdesk.core.identity import accounts
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import Status
from tests.automation.conftest import Clock
from tests.automation.test_sla import OFFICE
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket
from tests.unit.test_calendars import utc

MINUTE = 60_000
WEEK = ReportQuery(start=utc("2026-11-22 23:00"), end=utc("2026-11-24 23:00"),
                   zone="Europe/Stockholm")  # fmt: skip


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([], None, None), ([7], 7, 7), ([10, 30, 90], 30, 90), ([180, 120], 120, 180),
     (list(range(1, 11)), 5, 9), (list(range(1, 21)), 10, 18)],
)  # fmt: skip
def test_nearest_rank(values: list[int], median: int | None, p90: int | None) -> None:
    assert (nearest_rank(values, 50), nearest_rank(values, 90)) == (median, p90)


def week(tenant: Tenant, clock: Clock) -> dict[str, int]:
    agent = add_agent(tenant, "Maja")
    with tenant.services.store.write() as uow:
        billing = accounts.create_inbox(uow, tenant.actor, "Billing", tenant.address("billing"))
        calendar = sl.create_calendar(uow, tenant.actor, OFFICE)

    def answer(ticket_id: int) -> None:
        with tenant.services.store.write() as uow:
            tickets.add_message(uow, tenant.actor, ticket_id,
                                NewMessage(body_text="On it", agent_id=agent.id))  # fmt: skip

    def solve(ticket_id: int) -> None:
        with tenant.services.store.write() as uow:
            tickets.set_status(uow, tenant.actor, ticket_id, Status.SOLVED)

    clock.at("2026-11-23 09:00")
    t1 = open_ticket(tenant, assignee_ids=(agent.id,)).id
    clock.at("2026-11-23 09:30")
    answer(t1)
    clock.at("2026-11-23 11:00")
    solve(t1)
    clock.at("2026-11-23 15:00")
    t2 = open_ticket(tenant).id
    clock.at("2026-11-24 08:30")
    answer(t2)
    clock.at("2026-11-24 10:00")
    solve(t2)
    clock.at("2026-11-24 12:00")
    open_ticket(tenant)
    clock.at("2026-11-24 13:00")
    t4 = open_ticket(tenant, inbox_id=billing.id).id
    clock.at("2026-11-24 13:10")
    answer(t4)
    return {"agent": agent.id, "billing": billing.id, "calendar": calendar.id}


def test_the_hand_worked_week(tenant: Tenant, clock: Clock) -> None:
    ids = week(tenant, clock)
    with tenant.services.store.read() as uow:
        office = reports.report(uow, tenant.actor, replace(WEEK, calendar_id=ids["calendar"]))
        plain = reports.report(uow, tenant.actor, WEEK)
        billing = reports.report(uow, tenant.actor, replace(WEEK, inbox_id=ids["billing"]))
        mine = reports.report(uow, tenant.actor,
                              replace(WEEK, agent_id=ids["agent"]))  # fmt: skip
    assert (office.created, office.solved) == (4, 2)
    assert office.first_response.count == 3
    assert (office.first_response.median, office.first_response.p90) == (30 * MINUTE, 90 * MINUTE)
    assert (office.resolution.median, office.resolution.p90) == (120 * MINUTE, 180 * MINUTE)
    # Every minute counting: T2 waited 17 h 30 min overnight.
    assert plain.first_response.p90 == (17 * 60 + 30) * MINUTE
    assert plain.resolution.p90 == 19 * 60 * MINUTE
    assert {s.value: n for s, n in office.backlog} == {
        "new": 1, "reply": 0, "pending": 1, "on-hold": 0}  # fmt: skip
    hours = {hour: n for hour, n in enumerate(office.busiest_hours) if n}
    assert hours == {10: 1, 16: 1, 13: 1, 14: 1}  # the customers' opening messages, local
    assert office.days == (("2026-11-23", 2, 1), ("2026-11-24", 2, 1))
    assert (office.sla_covered, office.attainment) == (0, None)
    assert (billing.created, billing.solved, billing.first_response.median) == (1, 0, 10 * MINUTE)
    assert (mine.created, mine.solved) == (1, 1)


def test_sla_attainment_counts_covered_tickets_that_breached_nothing(
    tenant: Tenant, clock: Clock
) -> None:
    from frontdesk.core.automation.service_levels import PolicyFields
    from frontdesk.core.automation.sla import Targets
    from frontdesk.core.tickets.records import Priority

    with tenant.services.store.write() as uow:
        fast = PolicyFields("Fast", {Priority.NORMAL: Targets(30, None, None)})
        sl.create_policy(uow, tenant.actor, fast)
    agent = add_agent(tenant, "Maja")
    late, quick = open_ticket(tenant).id, open_ticket(tenant).id
    clock.at("2026-11-23 09:10")
    with tenant.services.store.write() as uow:
        tickets.add_message(uow, tenant.actor, quick, NewMessage("Hi", agent_id=agent.id))
    clock.at("2026-11-23 09:45")
    with tenant.services.store.write() as uow:
        tickets.add_message(uow, tenant.actor, late, NewMessage("Sorry", agent_id=agent.id))
    with tenant.services.store.read() as uow:
        found = reports.report(uow, tenant.actor, WEEK)
    assert (found.sla_covered, found.sla_attained, found.attainment) == (2, 1, 0.5)


def test_bad_periods_and_foreign_choices_are_refused(
    tenant: Tenant, other_tenant: Tenant, clock: Clock
) -> None:
    theirs = week(other_tenant, clock)
    cases = [
        (ReportQuery(start=WEEK.end, end=WEEK.start), Invalid, "empty_window"),
        (ReportQuery(start=0, end=400 * 86_400_000), Invalid, "window_too_long"),
        (replace(WEEK, inbox_id=theirs["billing"]), NotFound,
         "inbox_not_found"),
        (replace(WEEK, agent_id=theirs["agent"]), NotFound,
         "agent_not_found"),
        (replace(WEEK, calendar_id=theirs["calendar"]), NotFound,
         "calendar_not_found"),
    ]  # fmt: skip
    with tenant.services.store.read() as uow:
        for query, error, code in cases:
            with pytest.raises(error) as caught:
                reports.report(uow, tenant.actor, query)
            assert caught.value.code == code


def test_satisfaction_is_the_share_of_great_among_the_periods_ratings(
    tenant: Tenant, clock: Clock
) -> None:
    # Six solved tickets of a surveyed inbox; the customers rate five of them through the
    # real surveys. Maja held four, Bo two. One rating lands after the period.
    from frontdesk.core.automation import csat
    from frontdesk.core.automation.records import CsatSettings

    maja, bo = add_agent(tenant, "Maja"), add_agent(tenant, "Bo")
    with tenant.services.store.write() as uow:
        support = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        empty = accounts.create_inbox(uow, tenant.actor, "Empty", tenant.address("empty"))
        surveyed = CsatSettings(support.id, True, 0, "", 0)
        csat.set_settings(uow, tenant.actor, support.id, surveyed, utc("2026-11-23 08:00"))
    plan = [(maja, "great", "2026-11-23 10:00"), (maja, "great", "2026-11-23 11:00"),
            (maja, "bad", "2026-11-24 09:00"), (maja, None, ""),
            (bo, "okay", "2026-11-24 10:00"), (bo, "great", "2026-11-25 10:00")]  # fmt: skip
    for agent, rating, moment in plan:
        clock.at("2026-11-23 09:00")
        ticket = open_ticket(tenant, inbox_id=support.id, assignee_ids=(agent.id,))
        with tenant.services.store.write() as uow:
            tickets.set_status(uow, tenant.actor, ticket.id, Status.SOLVED)
        if rating is None:
            continue
        with tenant.services.store.write() as uow:
            survey = uow.csat.survey_of_ticket(tenant.id, ticket.id)
            assert survey is not None  # the solve queued it
            csat.rate(uow, survey.id, rating, utc(moment))
    with tenant.services.store.read() as uow:
        everyone = reports.report(uow, tenant.actor, WEEK).satisfaction
        majas = reports.report(uow, tenant.actor, replace(WEEK, agent_id=maja.id)).satisfaction
        other = reports.report(uow, tenant.actor, replace(WEEK, inbox_id=empty.id)).satisfaction
    assert (everyone.great, everyone.okay, everyone.bad) == (2, 1, 1)  # the 25th is outside
    assert (everyone.responses, everyone.score) == (4, 0.5)
    assert (majas.responses, majas.score) == (3, 2 / 3)
    assert (other.responses, other.score) == (0, None)


def test_an_agent_sees_only_their_own_figures(tenant: Tenant, clock: Clock) -> None:
    from frontdesk.core.shared.errors import Forbidden
    from frontdesk.core.shared.records import Actor, Scope

    ids = week(tenant, clock)  # Maja holds T1 only
    bo = add_agent(tenant, "Bo")
    maja_acting = Actor(tenant.id, "maja", frozenset({Scope.TICKETS_READ}), agent_id=ids["agent"])
    with tenant.services.store.read() as uow:
        own = reports.report(uow, maja_acting, WEEK)
        named = reports.report(uow, maja_acting, replace(WEEK, agent_id=ids["agent"]))
        with pytest.raises(Forbidden) as refused:
            reports.report(uow, maja_acting, replace(WEEK, agent_id=bo.id))
        everyone = reports.report(uow, tenant.actor, WEEK)
    assert (own.created, own.solved, own.query.agent_id) == (1, 1, ids["agent"])
    assert (named.created, named.solved) == (1, 1)
    assert refused.value.code == "own_reports_only"
    assert (everyone.created, everyone.solved) == (4, 2)  # an admin sees the whole team


def test_a_report_binds_the_period_not_one_parameter_per_ticket(
    tenant: Tenant, clock: Clock
) -> None:
    # A year of tickets is more ids than a statement may carry (SQLite 32,766 bind
    # parameters, PostgreSQL 65,535): the report's statements must not grow with them.
    from typing import Any

    from sqlalchemy import event

    engine = tenant.services.store.engine

    def parameters() -> int:
        bound: list[int] = []

        def count(*args: Any) -> None:
            bound.append(len(args[3] or ()))

        event.listen(engine, "before_cursor_execute", count)
        try:
            with tenant.services.store.read() as uow:
                found = reports.report(uow, tenant.actor, WEEK)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert found.created == len(opened)
        return sum(bound)

    opened = [open_ticket(tenant).id]
    one = parameters()
    opened += [open_ticket(tenant).id for _ in range(5)]
    assert parameters() == one
