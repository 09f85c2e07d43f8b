"""SLA subjects for rules: "SLA breaches within an hour", "first response due within 30
minutes", "SLA breached", read from the tickets' stored clocks (`ticket_sla`).

The clocks belong to automation's service levels; this module, in the rules area above
it, registers the conditions and the facts they read (`conditions.register`,
`facts.register_facts`). It is imported for those registrations by `define` (saving a
rule) and `running` (running one).

Due times are stored as instants, so a condition needs no calendar: "within N minutes"
is wall-clock minutes until the due time (business hours already went into computing it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from frontdesk.core.automation.sla import Metric, SlaState
from frontdesk.core.rules import conditions, facts
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import TicketFacts, Value
from frontdesk.core.tickets.records import Ticket

PREFIX = "sla."
BREACHED = "sla.breached"
# The latest start of a clock's run: a time rule on SLA subjects fires once per run (a new
# next-response run after the customer wrote again may fire it again), as the SLA's own
# warnings and breaches are recorded once per run.
RUN = "sla.run"
SOONEST = "sla.due"


def _due_key(metric: Metric) -> str:
    return f"{PREFIX}{metric.value}_due"


def clock_facts(state: SlaState | None, breached: bool) -> dict[str, object]:
    """The facts of one ticket's clocks: each counting, not yet breached clock's due time
    (ms), the soonest of them, whether any clock breached, and the latest run's start."""
    found: dict[str, object] = {BREACHED: breached, RUN: None, SOONEST: None}
    if state is None:
        return found
    dues = []
    for metric, timer in state.timers:
        if timer.running and timer.due is not None and not timer.breached:
            found[_due_key(metric)] = timer.due
            dues.append(timer.due)
    found[SOONEST] = min(dues, default=None)
    found[RUN] = max((timer.started for _, timer in state.timers), default=None)
    return found


def _provider(
    uow: RulesUnit, tickets: Sequence[Ticket], now: int
) -> dict[int, Mapping[str, object]]:
    """The clock facts of a batch of tickets: their stored clocks in one read. A ticket no
    policy ever applied to has no clocks: nothing due, nothing breached."""
    stored = uow.sla.ticket_states([ticket.id for ticket in tickets])
    found: dict[int, Mapping[str, object]] = {}
    for ticket in tickets:
        row = stored.get(ticket.id)
        found[ticket.id] = clock_facts(None, False) if row is None else clock_facts(
            row.state, row.breached)  # fmt: skip
    return found


def _minutes_until(key: str) -> conditions.Test:
    """A test of the minutes from now until the due time under `key` (negative when the
    moment passed and the sweep has not yet recorded the breach)."""

    def test(found: TicketFacts, operator: str, value: Value) -> bool:
        due = found.extra.get(key)
        if not isinstance(due, int):
            return False  # no such clock counting: never "due within"
        return conditions.number((due - found.now) // conditions.MINUTE, operator, value)

    return test


def _breached(found: TicketFacts, operator: str, value: Value) -> bool:
    return bool(found.extra.get(BREACHED)) is conditions.yes(value)


def run_of(found: TicketFacts) -> str:
    """The part of a time rule's state its SLA conditions add (see RUN)."""
    run = found.extra.get(RUN)
    return f"/s{run}" if isinstance(run, int) else "/s"


SUBJECTS = {
    "sla.due_minutes": SOONEST,
    **{f"{PREFIX}{metric.value}_due_minutes": _due_key(metric) for metric in Metric},
}
for _subject, _key in SUBJECTS.items():
    conditions.register(_subject, conditions.NUMBER, _minutes_until(_key))
conditions.register(BREACHED, ("is",), _breached)
facts.register_facts(PREFIX, _provider)
