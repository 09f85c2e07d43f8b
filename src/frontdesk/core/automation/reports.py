"""The reports dashboard's figures, computed from what was recorded (docs/automation.md).

Definitions, the ticket counterparts of the chat statistics' (core/chat/stats.py):

- created: tickets opened in the period (their `ticket.opened` time).
- solved: `ticket.status_changed` events to solved in the period (a ticket solved twice
  counts twice: it was solved twice).
- first response time: for tickets opened in the period, from the opening to the first
  reply an agent (or the team) sent the customer at or after it; tickets without one are
  left out, as a chat without an agent message has no responseTime.
- resolution time: for tickets opened in the period, from the opening to their first
  solve; unsolved ones are left out.
- both times are business time in the report's calendar (24/7 when none is chosen).
- median and 90th percentile: nearest rank (the value at rank ceil(p/100 * n) of the n
  sorted values), so every figure shown is one that happened; none when n is 0.
- SLA attainment: of the tickets opened in the period that an SLA policy covered, the
  share that breached no target.
- customer satisfaction: of the surveys whose latest rating falls in the period, the share
  rated `great`, with the count of responses (core.automation.csat).
- backlog: open tickets by status now (the period does not apply).
- busiest hours: the customers' messages in the period by hour of day, in the viewer's
  time zone.

Who sees what: owners and admins every agent's figures; an agent only the tickets
assigned to them (`scoped`): colleagues' figures are for whoever leads the team.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk.core.automation import service_levels
from frontdesk.core.automation.calendars import ALWAYS, Calendar, business_ms_between
from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.identity import accounts
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.paging import Window
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.records import OPEN_STATUSES, Status

MAX_DAYS = 366
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class ReportQuery:
    start: int  # ms, inclusive
    end: int  # ms, exclusive
    zone: str = "UTC"  # the viewer's: days and hours are theirs
    inbox_id: int | None = None
    agent_id: int | None = None  # tickets this agent is assigned to
    calendar_id: int | None = None  # business time of this calendar; None: every minute


@dataclass(frozen=True, slots=True)
class Spread:
    count: int
    median: int | None  # ms
    p90: int | None


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """The CSAT responses of a period: how many surveys got each rating."""

    great: int = 0
    okay: int = 0
    bad: int = 0

    @property
    def responses(self) -> int:
        return self.great + self.okay + self.bad

    @property
    def score(self) -> float | None:
        """The share of `great` among the responses; None when there were none."""
        return self.great / self.responses if self.responses else None


@dataclass(frozen=True, slots=True)
class Report:
    query: ReportQuery
    created: int
    solved: int
    first_response: Spread
    resolution: Spread
    sla_covered: int
    sla_attained: int
    backlog: tuple[tuple[Status, int], ...]
    busiest_hours: tuple[int, ...]  # 24 counts, hour 0 first
    days: tuple[tuple[str, int, int], ...]  # (ISO day, created, solved) for every day
    satisfaction: Satisfaction = Satisfaction()

    @property
    def attainment(self) -> float | None:
        return self.sla_attained / self.sla_covered if self.sla_covered else None


def nearest_rank(values: Sequence[int], percent: int) -> int | None:
    """The `percent`th percentile by nearest rank (docs/automation.md)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[int]) -> Spread:
    return Spread(len(values), nearest_rank(values, 50), nearest_rank(values, 90))


def _checked(uow: AutomationUnit, actor: Actor, query: ReportQuery) -> Calendar:
    if query.end <= query.start:
        raise Invalid("empty_window", "The period ends before it starts", field="end")
    if query.end - query.start > MAX_DAYS * DAY_MS:
        raise Invalid("window_too_long", f"At most {MAX_DAYS} days per report", field="end")
    if query.inbox_id is not None and accounts.find_inbox(uow, actor.account_id,
                                                          query.inbox_id) is None:  # fmt: skip
        raise NotFound("inbox_not_found", f"No inbox {query.inbox_id}", field="inbox")
    if query.agent_id is not None and not accounts.agents_by_id(
        uow, actor.account_id, [query.agent_id]
    ):  # fmt: skip
        raise NotFound("agent_not_found", f"No agent {query.agent_id}", field="agent")
    if query.calendar_id is None:
        return ALWAYS
    return service_levels.get_calendar(uow, actor, query.calendar_id).calendar


def scoped(actor: Actor, query: ReportQuery) -> ReportQuery:
    """The query the actor may see: owners and admins any; an agent their own tickets
    (no agent chosen means themselves; another agent is refused)."""
    if accounts.administers(actor):
        return query
    if actor.agent_id is None or query.agent_id not in (None, actor.agent_id):
        raise Forbidden(
            "own_reports_only", "Agents see the reports of their own tickets", field="agent"
        )
    return replace(query, agent_id=actor.agent_id)


def report(uow: AutomationUnit, actor: Actor, query: ReportQuery) -> Report:
    query = scoped(actor, query)
    calendar = _checked(uow, actor, query)
    scope = (actor.account_id, query.inbox_id, query.agent_id)
    window = Window(query.start, query.end - 1)
    # The later reads name the period, not the opened tickets' ids: a year of tickets is
    # more ids than a statement may carry (SQLite 32,766 bind parameters, PostgreSQL 65,535).
    opened = uow.reports.opened(*scope, window)
    answered = uow.reports.first_agent_replies(*scope, window)
    first_solved = uow.reports.first_solves(*scope, window)
    solves = uow.reports.solves(*scope, window)
    covered, attained = uow.reports.sla_outcomes(*scope, window)
    return Report(
        query=query,
        created=len(opened),
        solved=len(solves),
        first_response=spread(_times(calendar, opened, answered)),
        resolution=spread(_times(calendar, opened, first_solved)),
        sla_covered=covered,
        sla_attained=attained,
        backlog=_backlog(uow.reports.backlog(*scope)),
        busiest_hours=_hours(uow.reports.customer_messages(*scope, window), query.zone),
        days=_days(query, [at for _, at in opened], solves),
        satisfaction=_satisfaction(uow.reports.ratings(*scope, window)),
    )


def _satisfaction(counts: dict[str, int]) -> Satisfaction:
    return Satisfaction(counts.get("great", 0), counts.get("okay", 0), counts.get("bad", 0))


def _times(
    calendar: Calendar, opened: Sequence[tuple[int, int]], ends: dict[int, int]
) -> list[int]:
    return [
        business_ms_between(calendar, at, ends[ticket_id])
        for ticket_id, at in opened
        if ticket_id in ends and ends[ticket_id] >= at
    ]


def _backlog(counts: dict[str, int]) -> tuple[tuple[Status, int], ...]:
    order = [Status.NEW, Status.REPLY, Status.PENDING, Status.ON_HOLD]
    assert set(order) == OPEN_STATUSES
    return tuple((status, counts.get(status.value, 0)) for status in order)


def _hours(moments: Sequence[int], zone: str) -> tuple[int, ...]:
    where = ZoneInfo(zone)
    counted = Counter(datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(where).hour
                      for ms in moments)  # fmt: skip
    return tuple(counted.get(hour, 0) for hour in range(24))


def _days(
    query: ReportQuery, created: Sequence[int], solved: Sequence[int]
) -> tuple[tuple[str, int, int], ...]:
    where = ZoneInfo(query.zone)

    def day(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(where).date().isoformat()

    made, done = Counter(map(day, created)), Counter(map(day, solved))
    first = datetime.fromtimestamp(query.start / 1000, tz=UTC).astimezone(where).date()
    last = datetime.fromtimestamp((query.end - 1) / 1000, tz=UTC).astimezone(where).date()
    every = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return tuple((name, made.get(name, 0), done.get(name, 0)) for name in every)
