"""SLA clocks: first response, next response and resolution, in business time.

Pure: a ticket's SLA state moves only through `advance` (something happened to the
ticket at an instant), `retarget` (its policy or priority changed) and `sweep_at` (time
passed), each returning a new state. The definitions (docs/automation.md):

- first response: from the ticket's opening to the first reply an agent sends the
  customer (an external message written by an agent).
- next response: from a customer's message that arrives after an agent replied, to the
  agent's next reply. A further customer message while it runs does not restart it.
- resolution: from opening to solved or closed; reopening resumes it where it stopped.
- Every clock pauses while the ticket is pending or on hold and counts only the policy
  calendar's business time. Solving or closing pauses the response clocks (nothing is
  owed while solved); reopening resumes those not met.
- A clock is breached when its business time reaches the target before it is met; it is
  warned `warn_minutes` (wall-clock minutes) before its due time. Each is recorded once per run of a
  clock (a new next-response run may warn and breach again).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from frontdesk.core.automation.calendars import (
    MINUTE_MS,
    Calendar,
    add_business_ms,
    business_ms_between,
)
from frontdesk.core.tickets.records import Status

PAUSED = frozenset({Status.PENDING, Status.ON_HOLD})
DONE = frozenset({Status.SOLVED, Status.CLOSED})


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class Happening(StrEnum):
    """What moves the clocks, as the hook reads it from a transaction's events."""

    OPENED = "opened"
    CUSTOMER_WROTE = "customer_wrote"
    AGENT_REPLIED = "agent_replied"


@dataclass(frozen=True, slots=True)
class Targets:
    """Minutes of business time allowed for each metric; None: no target for it."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None

    def of(self, metric: Metric) -> int | None:
        value: int | None = getattr(self, metric.value)
        return value


@dataclass(frozen=True, slots=True)
class Timer:
    """One run of one clock. `elapsed` is business ms counted up to `since`; `since` is
    None while the clock does not count (paused, or met)."""

    started: int
    elapsed: int = 0
    since: int | None = None
    met: int | None = None
    due: int | None = None
    warned: bool = False
    breached: bool = False

    @property
    def running(self) -> bool:
        return self.since is not None


@dataclass(frozen=True, slots=True)
class SlaState:
    status: Status = Status.NEW
    replied: bool = False  # an agent has answered the customer at least once
    timers: tuple[tuple[Metric, Timer], ...] = ()

    def timer(self, metric: Metric) -> Timer | None:
        return dict(self.timers).get(metric)

    def with_timer(self, metric: Metric, timer: Timer) -> SlaState:
        kept = dict(self.timers)
        kept[metric] = timer
        return replace(self, timers=tuple(sorted(kept.items())))

    @property
    def due(self) -> int | None:
        """The soonest due time of a counting clock (overdue ones included): the list's sort."""
        dues = [timer.due for _, timer in self.timers if timer.running and timer.due is not None]
        return min(dues, default=None)

    @property
    def breached(self) -> bool:
        return any(timer.breached for _, timer in self.timers)


@dataclass(frozen=True, slots=True)
class Policy:
    targets: Targets
    calendar: Calendar
    warn_minutes: int = 0


@dataclass(frozen=True, slots=True)
class Alarm:
    """A warning or a breach to record as an event."""

    metric: Metric
    breach: bool
    due: int


def _counted(timer: Timer, policy: Policy, at: int) -> int:
    if timer.since is None:
        return timer.elapsed
    return timer.elapsed + business_ms_between(policy.calendar, timer.since, at)


def _target_ms(policy: Policy, metric: Metric | None) -> int | None:
    minutes = policy.targets.of(metric) if metric is not None else None
    return None if minutes is None else minutes * MINUTE_MS


def _with_due(metric: Metric, timer: Timer, policy: Policy) -> Timer:
    target = _target_ms(policy, metric)
    if target is None or timer.since is None:
        return replace(timer, due=None if target is None else timer.due)
    due = add_business_ms(policy.calendar, timer.since, max(target - timer.elapsed, 0))
    return replace(timer, due=due)


def _meet(metric: Metric, timer: Timer, policy: Policy, at: int) -> Timer:
    counted = _counted(timer, policy, at)
    target = _target_ms(policy, metric)
    late = target is not None and counted > target
    return replace(timer, elapsed=counted, since=None, met=at, breached=timer.breached or late)


def _pause(timer: Timer, policy: Policy, at: int) -> Timer:
    return replace(timer, elapsed=_counted(timer, policy, at), since=None)


def _resume(timer: Timer, at: int) -> Timer:
    return timer if timer.running or timer.met is not None else replace(timer, since=at)


def advance(
    state: SlaState, policy: Policy, at: int, happening: Happening | None, status: Status
) -> SlaState:
    """The state after `happening` (or only a status change, when None) at `at`, the
    ticket's status being `status` afterwards."""
    if happening is Happening.OPENED:
        state = SlaState(status=Status.NEW)
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
            state = state.with_timer(metric, Timer(started=at, since=at))
    elif happening is Happening.AGENT_REPLIED:
        state = _answered(state, policy, at)
    elif happening is Happening.CUSTOMER_WROTE:
        state = _customer_wrote(state, at)
    return retarget(_set_status(state, policy, at, status), policy)


def _answered(state: SlaState, policy: Policy, at: int) -> SlaState:
    for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
        timer = state.timer(metric)
        if timer is not None and timer.met is None:
            state = state.with_timer(metric, _meet(metric, timer, policy, at))
    return replace(state, replied=True)


def _customer_wrote(state: SlaState, at: int) -> SlaState:
    if not state.replied:
        return state  # still waiting for the first response: its clock runs already
    waiting = state.timer(Metric.NEXT_RESPONSE)
    if waiting is not None and waiting.met is None:
        return state  # already waiting: the earlier message's clock keeps counting
    return state.with_timer(Metric.NEXT_RESPONSE, Timer(started=at, since=at))


def _set_status(state: SlaState, policy: Policy, at: int, status: Status) -> SlaState:
    for metric, timer in state.timers:
        if status in DONE:
            done = metric is Metric.RESOLUTION and timer.met is None
            timer = _meet(metric, timer, policy, at) if done else _pause(timer, policy, at)
        elif status in PAUSED:
            timer = _pause(timer, policy, at)
        else:
            if metric is Metric.RESOLUTION and timer.met is not None and state.status in DONE:
                timer = replace(timer, met=None)  # reopened: resolution resumes
            timer = _resume(timer, at)
        state = state.with_timer(metric, timer)
    return replace(state, status=status)


def retarget(state: SlaState, policy: Policy) -> SlaState:
    """Due times under `policy` (after a change of policy or priority): time already
    counted stays counted, the new target applies to what is left."""
    for metric, timer in state.timers:
        state = state.with_timer(metric, _with_due(metric, timer, policy))
    return state


def sweep_at(state: SlaState, policy: Policy, now: int) -> tuple[SlaState, list[Alarm]]:
    """Warnings and breaches that `now` has reached, each once per run of a clock."""
    alarms = []
    for metric, timer in state.timers:
        due = timer.due
        if not timer.running or due is None:
            continue
        warn_at = due - policy.warn_minutes * MINUTE_MS
        if not timer.warned and not timer.breached and warn_at <= now < due:
            timer = replace(timer, warned=True)
            alarms.append(Alarm(metric, breach=False, due=due))
        if not timer.breached and now >= due:
            timer = replace(timer, warned=True, breached=True)
            alarms.append(Alarm(metric, breach=True, due=due))
        state = state.with_timer(metric, timer)
    return state, alarms


def next_check(state: SlaState, policy: Policy) -> int | None:
    """When `sweep_at` next has something to record, for the sweep's index."""
    moments = []
    for _, timer in state.timers:
        if not timer.running or timer.due is None or timer.breached:
            continue
        moments.append(timer.due if timer.warned else timer.due - policy.warn_minutes * MINUTE_MS)
    return min(moments, default=None)


def fresh_state(status: Status, at: int, *, replied: bool) -> SlaState:
    """Clocks for a ticket that had none (opened before any policy existed), started at
    `at`: the response owed now (first, or next when the customer is waiting for an
    answer after one), and resolution, then paused or stopped as `status` says."""
    state = SlaState(status=Status.NEW, replied=replied)
    state = state.with_timer(Metric.RESOLUTION, Timer(started=at, since=at))
    if not replied:
        state = state.with_timer(Metric.FIRST_RESPONSE, Timer(started=at, since=at))
    elif status is Status.REPLY:
        state = state.with_timer(Metric.NEXT_RESPONSE, Timer(started=at, since=at))
    return state


def checkpoint(state: SlaState, policy: Policy, at: int) -> SlaState:
    """Count the running clocks' time up to `at` under `policy`, before another policy
    (or calendar) takes over: what was counted under the old rules stays counted."""
    for metric, timer in state.timers:
        if timer.running:
            state = state.with_timer(
                metric, replace(timer, elapsed=_counted(timer, policy, at), since=at)
            )
    return state
