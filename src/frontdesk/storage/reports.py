"""SQL for the reports dashboard (core.automation.reports): what was opened, answered,
solved and written in a period, narrowed to an inbox and an assignee."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, and_, case, exists, func, select

from frontdesk.core.shared.events import STATUS_CHANGED, TICKET_OPENED
from frontdesk.core.shared.paging import Window
from frontdesk.core.tickets.records import OPEN_STATUSES, Status
from frontdesk.storage import tables as t
from frontdesk.storage._sql import by_team, within


class SqlReports:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def opened(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[tuple[int, int]]:
        ev = t.events
        query = _opened(account_id, inbox_id, agent_id, window).add_columns(ev.c.created)
        return [(int(row.ticket_id), int(row.created)) for row in self.conn.execute(query)]

    def first_agent_replies(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[int, int]:
        ms, ev = t.messages, t.events
        opened = (
            _opened(account_id, inbox_id, agent_id, window)
            .add_columns(ev.c.created.label("at"))
            .subquery()
        )
        # Replies at or after the opening only: a split's new ticket holds replies older
        # than itself, which answered the ticket they were written on.
        query = (
            select(ms.c.ticket_id, func.min(ms.c.created).label("first"))
            .join_from(ms, opened, opened.c.ticket_id == ms.c.ticket_id)
            .where(
                ms.c.account_id == account_id,
                ms.c.created >= opened.c.at,
                ms.c.kind == "external",
                by_team(),
            )
            .group_by(ms.c.ticket_id)
        )
        return {int(row.ticket_id): int(row.first) for row in self.conn.execute(query)}

    def first_solves(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[int, int]:
        ev = t.events
        # The account named, so that ix_events_account_ticket serves it (not a log scan).
        query = (
            select(ev.c.ticket_id, ev.c.created, ev.c.data)
            .where(
                ev.c.account_id == account_id,
                ev.c.ticket_id.in_(_opened(account_id, inbox_id, agent_id, window)),
                ev.c.kind == STATUS_CHANGED,
            )
            .order_by(ev.c.id)
        )
        found: dict[int, int] = {}
        for row in self.conn.execute(query):
            if _to_solved(row.data):
                found.setdefault(int(row.ticket_id), int(row.created))
        return found

    def sla_outcomes(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> tuple[int, int]:
        ts = t.ticket_sla
        query = select(
            func.count().label("covered"),
            func.coalesce(func.sum(case((ts.c.breached.is_(False), 1), else_=0)), 0).label("kept"),
        ).where(
            ts.c.account_id == account_id,
            ts.c.ticket_id.in_(_opened(account_id, inbox_id, agent_id, window)),
        )
        row = self.conn.execute(query).one()
        return int(row.covered), int(row.kept)

    def solves(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[int]:
        ev = t.events
        query = select(ev.c.created, ev.c.data).where(
            ev.c.account_id == account_id, ev.c.kind == STATUS_CHANGED,
            ev.c.ticket_id.is_not(None), *within(ev.c.created, window),
        )  # fmt: skip
        rows = self.conn.execute(_narrowed(query, ev.c.ticket_id, inbox_id, agent_id))
        return [int(row.created) for row in rows if _to_solved(row.data)]

    def backlog(
        self, account_id: int, inbox_id: int | None, agent_id: int | None
    ) -> dict[str, int]:
        tk = t.tickets
        query = (
            select(tk.c.status, func.count().label("n"))
            .where(
                tk.c.account_id == account_id,
                tk.c.status.in_([status.value for status in OPEN_STATUSES]),
                tk.c.archived_at.is_(None),
                tk.c.merged_into_id.is_(None),
            )
            .group_by(tk.c.status)
        )
        rows = self.conn.execute(_narrowed(query, tk.c.id, inbox_id, agent_id))
        return {str(row.status): int(row.n) for row in rows}

    def customer_messages(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[int]:
        ms = t.messages
        query = select(ms.c.created).where(
            ms.c.account_id == account_id, ms.c.kind == "external",
            ms.c.contact_id.is_not(None), ms.c.agent_id.is_(None),
            *within(ms.c.created, window),
        )  # fmt: skip
        rows = self.conn.execute(_narrowed(query, ms.c.ticket_id, inbox_id, agent_id))
        return [int(row.created) for row in rows]

    def ratings(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[str, int]:
        cs = t.csat_surveys
        query = (
            select(cs.c.rating, func.count().label("n"))
            .where(
                cs.c.account_id == account_id, cs.c.rating.is_not(None),
                *within(cs.c.rated, window),
            )
            .group_by(cs.c.rating)
        )  # fmt: skip
        # The survey's own inbox and agent (the ticket's when it was solved), not today's
        # assignees: the rating judged the work of whoever held the ticket then.
        if inbox_id is not None:
            query = query.where(cs.c.inbox_id == inbox_id)
        if agent_id is not None:
            query = query.where(cs.c.agent_id == agent_id)
        return {str(row.rating): int(row.n) for row in self.conn.execute(query)}


def _opened(
    account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
) -> Select[Any]:
    """The ids of the tickets opened in the window: a subquery, not a list of ids, so a
    year of tickets stays one statement with a fixed number of bind parameters."""
    ev = t.events
    query = select(ev.c.ticket_id).where(
        ev.c.account_id == account_id, ev.c.kind == TICKET_OPENED,
        ev.c.ticket_id.is_not(None), *within(ev.c.created, window),
    )  # fmt: skip
    return _narrowed(query, ev.c.ticket_id, inbox_id, agent_id)


def _to_solved(data: str) -> bool:
    return bool(json.loads(data).get("after") == Status.SOLVED.value)


def _narrowed(
    query: Select[Any], ticket_id: Any, inbox_id: int | None, agent_id: int | None
) -> Select[Any]:
    """Only tickets of the inbox, and only tickets the agent is assigned to."""
    if inbox_id is not None:
        tk = t.tickets
        query = query.where(exists().where(and_(tk.c.id == ticket_id, tk.c.inbox_id == inbox_id)))
    if agent_id is not None:
        ta = t.ticket_assignees
        query = query.where(
            exists().where(and_(ta.c.ticket_id == ticket_id, ta.c.agent_id == agent_id))
        )
    return query
