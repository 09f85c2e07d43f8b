"""SLA clocks against stories worked out by hand (docs/automation.md).

Policy: the office calendar of test_calendars (Europe/Stockholm, Mon-Fri 09:00-17:00,
24-25 December 2026 closed); first response 60 business minutes, next response 120,
resolution 480 (one working day); warnings 15 minutes before. Instants are UTC with the
Stockholm wall time beside them.
"""

from __future__ import annotations

from frontdesk.core.automation.sla import (
    Alarm,
    Happening,
    Metric,
    Policy,
    SlaState,
    Targets,
    advance,
    next_check,
    retarget,
    sweep_at,
)
from frontdesk.core.tickets.records import Status
from tests.unit.test_calendars import OFFICE, utc

POLICY = Policy(Targets(60, 120, 480), OFFICE, warn_minutes=15)
FIRST, NEXT, RESOLUTION = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION


def story(*steps: tuple[str, Happening | None, Status], policy: Policy = POLICY) -> SlaState:
    state = SlaState()
    for at, happening, status in steps:
        state = advance(state, policy, utc(at), happening, status)
    return state


def due(state: SlaState, metric: Metric) -> int | None:
    timer = state.timer(metric)
    assert timer is not None, metric
    return timer.due


def test_a_ticket_answered_and_solved_within_its_targets() -> None:
    opened = ("2026-11-23 09:00", Happening.OPENED, Status.NEW)  # Mon 10:00
    state = story(opened)
    assert due(state, FIRST) == utc("2026-11-23 10:00")  # Mon 11:00
    assert due(state, RESOLUTION) == utc("2026-11-24 09:00")  # Tue 10:00
    assert state.due == utc("2026-11-23 10:00")  # the soonest, for the list's sort

    replied = ("2026-11-23 09:30", Happening.AGENT_REPLIED, Status.PENDING)
    state = story(opened, replied)
    first = state.timer(FIRST)
    assert first is not None and first.met == utc("2026-11-23 09:30") and not first.breached
    resolution = state.timer(RESOLUTION)
    assert resolution is not None and not resolution.running  # pending: paused
    assert resolution.elapsed == 30 * 60_000
    assert state.due is None  # nothing counts while the customer is awaited

    # Tue 13:00 the customer writes: next response until 15:00; resolution has 450 min
    # left: Tue 13:00-17:00 (240), then Wed 09:00 + 210 = 12:30.
    wrote = ("2026-11-24 12:00", Happening.CUSTOMER_WROTE, Status.REPLY)
    state = story(opened, replied, wrote)
    assert due(state, NEXT) == utc("2026-11-24 14:00")
    assert due(state, RESOLUTION) == utc("2026-11-25 11:30")

    answered = ("2026-11-24 13:00", Happening.AGENT_REPLIED, Status.PENDING)
    solved = ("2026-11-25 08:00", None, Status.SOLVED)
    state = story(opened, replied, wrote, answered, solved)
    resolution = state.timer(RESOLUTION)
    assert resolution is not None
    assert resolution.met == utc("2026-11-25 08:00")
    assert resolution.elapsed == 90 * 60_000  # 30 + 60, the pending spans not counted
    assert not state.breached and state.due is None

    # Reopened Thu 10:00 by the customer: resolution resumes with 390 min left (16:30),
    # and a new next-response run starts (12:00).
    again = ("2026-11-26 09:00", Happening.CUSTOMER_WROTE, Status.REPLY)
    state = story(opened, replied, wrote, answered, solved, again)
    assert due(state, RESOLUTION) == utc("2026-11-26 15:30")
    assert due(state, NEXT) == utc("2026-11-26 11:00")


def test_a_second_customer_message_does_not_restart_the_next_response_clock() -> None:
    state = story(
        ("2026-11-23 09:00", Happening.OPENED, Status.NEW),
        ("2026-11-23 09:10", Happening.AGENT_REPLIED, Status.PENDING),
        ("2026-11-23 10:00", Happening.CUSTOMER_WROTE, Status.REPLY),  # 11:00 local
        ("2026-11-23 11:00", Happening.CUSTOMER_WROTE, Status.REPLY),
    )
    assert due(state, NEXT) == utc("2026-11-23 12:00")  # 11:00 + 2h, not 12:00 + 2h


def test_warning_then_breach_over_christmas_each_once() -> None:
    # Wed 23 Dec 16:30: 30 min Wed, then 24-27 closed, 30 min Mon 28 Dec: due 09:30.
    state = story(("2026-12-23 15:30", Happening.OPENED, Status.NEW))
    assert due(state, FIRST) == utc("2026-12-28 08:30")
    assert next_check(state, POLICY) == utc("2026-12-28 08:15")

    state, alarms = sweep_at(state, POLICY, utc("2026-12-25 12:00"))
    assert alarms == []  # a holiday: nothing yet
    state, alarms = sweep_at(state, POLICY, utc("2026-12-28 08:15"))
    assert alarms == [Alarm(FIRST, breach=False, due=utc("2026-12-28 08:30"))]
    state, alarms = sweep_at(state, POLICY, utc("2026-12-28 08:20"))
    assert alarms == []
    state, alarms = sweep_at(state, POLICY, utc("2026-12-28 08:30"))
    assert alarms == [Alarm(FIRST, breach=True, due=utc("2026-12-28 08:30"))]
    assert state.breached
    state, alarms = sweep_at(state, POLICY, utc("2026-12-28 09:00"))
    assert alarms == []
    # Resolution: 30 min Wed + 450 from Mon 09:00 = Mon 16:30 local.
    assert next_check(state, POLICY) == utc("2026-12-28 15:15")


def test_a_late_reply_is_a_breach_even_if_no_sweep_saw_it() -> None:
    state = story(
        ("2026-11-23 09:00", Happening.OPENED, Status.NEW),
        ("2026-11-23 10:01", Happening.AGENT_REPLIED, Status.PENDING),
    )
    first = state.timer(FIRST)
    assert first is not None and first.breached and first.met == utc("2026-11-23 10:01")


def test_on_hold_pauses_across_a_weekend_and_the_spring_clock_change() -> None:
    state = story(
        ("2026-03-27 13:00", Happening.OPENED, Status.NEW),  # Fri 14:00 CET
        ("2026-03-27 13:30", None, Status.ON_HOLD),  # 30 min counted
        ("2026-03-30 07:00", None, Status.REPLY),  # Mon 09:00 CEST
    )
    assert due(state, FIRST) == utc("2026-03-30 07:30")  # 09:30 CEST
    assert due(state, RESOLUTION) == utc("2026-03-30 14:30")  # 16:30 CEST, 450 min left


def test_a_new_policy_applies_from_then_on_to_what_was_counted() -> None:
    state = story(("2026-11-23 09:00", Happening.OPENED, Status.NEW))
    looser = Policy(Targets(240, 120, 480), OFFICE)
    assert due(retarget(state, looser), FIRST) == utc("2026-11-23 13:00")  # 10:00 + 4h
    no_first = Policy(Targets(None, 120, 480), OFFICE)
    assert retarget(state, no_first).due == utc("2026-11-24 09:00")  # resolution's only


def test_closing_meets_resolution_and_pauses_what_is_owed() -> None:
    state = story(
        ("2026-11-23 09:00", Happening.OPENED, Status.NEW),
        ("2026-11-23 09:20", None, Status.CLOSED),
    )
    resolution, first = state.timer(RESOLUTION), state.timer(FIRST)
    assert resolution is not None and resolution.met == utc("2026-11-23 09:20")
    assert first is not None and first.met is None and not first.running
    assert state.due is None and next_check(state, POLICY) is None
