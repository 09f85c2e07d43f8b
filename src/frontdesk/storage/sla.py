"""SQL for SLA policies, business-hours calendars and tickets' clocks (core.automation.ports)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from frontdesk.core.automation.calendars import Calendar as Rules
from frontdesk.core.automation.calendars import Span
from frontdesk.core.automation.records import BusinessCalendar, SlaPolicy, TicketSla
from frontdesk.core.automation.sla import Metric, SlaState, Targets, Timer
from frontdesk.core.tickets.records import Priority, Status
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    by_team,
    insert_row,
    locks_rows,
    open_ticket_ids,
    update_row,
    upsert,
)

# Built once with bind parameters (as storage/hot_queries.py's): the ticket page reads it on
# every view, and building a statement and its cache key costs more than running it.
_TICKET_STATES = select(t.ticket_sla).where(
    t.ticket_sla.c.ticket_id.in_(bindparam("ticket_ids", expanding=True))
)


class SqlSla:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- calendars and policies ---------------------------------------------------------------

    def insert_calendar(self, values: Mapping[str, Any]) -> BusinessCalendar:
        return _calendar(insert_row(self.conn, t.sla_calendars, values))

    def update_calendar(self, calendar_id: int, changes: Mapping[str, Any]) -> BusinessCalendar:
        return _calendar(update_row(self.conn, t.sla_calendars, calendar_id, changes))

    def list_calendars(self, account_id: int) -> list[BusinessCalendar]:
        sc = t.sla_calendars
        rows = self.conn.execute(select(sc).where(sc.c.account_id == account_id).order_by(sc.c.id))
        return [_calendar(row) for row in rows]

    def delete_calendar(self, calendar_id: int) -> None:
        self.conn.execute(delete(t.sla_calendars).where(t.sla_calendars.c.id == calendar_id))

    def insert_policy(self, values: Mapping[str, Any]) -> SlaPolicy:
        return _policy(insert_row(self.conn, t.sla_policies, values))

    def update_policy(self, policy_id: int, changes: Mapping[str, Any]) -> SlaPolicy:
        return _policy(update_row(self.conn, t.sla_policies, policy_id, changes))

    def list_policies(self, account_id: int) -> list[SlaPolicy]:
        sp = t.sla_policies
        rows = self.conn.execute(
            select(sp).where(sp.c.account_id == account_id).order_by(sp.c.position, sp.c.id)
        )
        return [_policy(row) for row in rows]

    def delete_policy(self, policy_id: int) -> None:
        self.conn.execute(delete(t.sla_policies).where(t.sla_policies.c.id == policy_id))

    # -- tickets' clocks ------------------------------------------------------------------------

    def ticket_states(self, ticket_ids: Sequence[int]) -> dict[int, TicketSla]:
        if not ticket_ids:
            return {}
        rows = self.conn.execute(_TICKET_STATES, {"ticket_ids": list(ticket_ids)})
        return {row.ticket_id: _ticket_sla(row) for row in rows}

    def save_states(self, states: Sequence[TicketSla], now: int) -> None:
        if not states:
            return
        rows = [
            {
                "ticket_id": s.ticket_id,
                "account_id": s.account_id,
                "policy_id": s.policy_id,
                "state": _state_json(s.state),
                "due": s.due,
                "breached": s.breached,
                "next_check": s.next_check,
                "updated": now,
            }
            for s in states
        ]
        statement = upsert(self.conn)(t.ticket_sla)
        kept = ("policy_id", "state", "due", "breached", "next_check", "updated")
        self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["ticket_id"],
                set_={name: statement.excluded[name] for name in kept},
            ),
            rows,
        )

    def open_ticket_ids(self, account_id: int, after_id: int, limit: int) -> list[int]:
        return open_ticket_ids(self.conn, account_id, after_id, limit)

    def due_for_check(self, now: int, limit: int) -> list[TicketSla]:
        ts = t.ticket_sla
        query = (
            select(ts)
            .where(ts.c.next_check.is_not(None), ts.c.next_check <= now)
            .order_by(ts.c.next_check)
            .limit(limit)
        )
        if locks_rows(self.conn):
            query = query.with_for_update(skip_locked=True)
        return [_ticket_sla(row) for row in self.conn.execute(query)]

    def labels_of(self, ticket_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = {}
        if ticket_ids:
            tl = t.ticket_labels
            for ticket_id, name in self.conn.execute(
                select(tl.c.ticket_id, tl.c.name).where(tl.c.ticket_id.in_(list(ticket_ids)))
            ):
                found.setdefault(ticket_id, []).append(name)
        return {ticket_id: tuple(names) for ticket_id, names in found.items()}

    def agent_replied(self, ticket_ids: Sequence[int]) -> set[int]:
        if not ticket_ids:
            return set()
        ms = t.messages
        query = (
            select(ms.c.ticket_id)
            .where(
                ms.c.ticket_id.in_(list(ticket_ids)),
                ms.c.kind == "external",
                by_team(),
            )
            .distinct()
        )
        return set(self.conn.execute(query).scalars())


def _calendar(row: Any) -> BusinessCalendar:
    spans = tuple(Span(day, start, end) for day, start, end in json.loads(row.hours))
    holidays = frozenset(date.fromisoformat(text) for text in json.loads(row.holidays))
    return BusinessCalendar(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        calendar=Rules(row.zone, spans, holidays),
        created=row.created,
        updated=row.updated,
    )


def _policy(row: Any) -> SlaPolicy:
    targets = tuple(
        (Priority(priority), Targets(*minutes))
        for priority, minutes in sorted(json.loads(row.targets).items())
    )
    return SlaPolicy(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        position=row.position,
        inbox_id=row.inbox_id,
        label=row.label,
        calendar_id=row.calendar_id,
        targets=targets,
        warn_minutes=row.warn_minutes,
        created=row.created,
        updated=row.updated,
    )


_TIMER_FIELDS = ("started", "elapsed", "since", "met", "due", "warned", "breached")


def _state_json(state: SlaState) -> str:
    timers = {
        metric.value: [getattr(timer, name) for name in _TIMER_FIELDS]
        for metric, timer in state.timers
    }
    return json.dumps({"status": state.status.value, "replied": state.replied, "timers": timers})


def _ticket_sla(row: Any) -> TicketSla:
    raw = json.loads(row.state)
    pairs = [(Metric(name), Timer(*values)) for name, values in raw["timers"].items()]
    timers = tuple(sorted(pairs, key=lambda pair: pair[0]))
    state = SlaState(Status(raw["status"]), bool(raw["replied"]), timers)
    return TicketSla(
        ticket_id=row.ticket_id,
        account_id=row.account_id,
        policy_id=row.policy_id,
        state=state,
        due=row.due,
        breached=bool(row.breached),
        next_check=row.next_check,
    )
