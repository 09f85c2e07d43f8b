"""SQL for the rules area (core.rules.ports): rules, time rules' firings, fair assignment,
and the few facts about tickets that conditions read beyond the ticket row."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select

from frontdesk.core.rules.records import Action, Condition, Match, Rule, RuleKind, Value
from frontdesk.core.shared import events as kinds
from frontdesk.core.tickets.records import OPEN_STATUSES, Ticket
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    insert_row,
    locks_rows,
    one_in_account,
    open_ticket_ids,
    update_row,
    upsert,
)
from frontdesk.storage.tickets.rows import ticket_from_row

_OPEN = sorted(status.value for status in OPEN_STATUSES)

# Every write transaction with ticket events reads the account's active triggers, and a
# trigger with a requester condition reads the address: built once (hot_queries.py says
# why: SQLAlchemy's per-statement work costs more than these queries themselves).
_ACTIVE = (
    select(t.rules)
    .where(
        t.rules.c.account_id == bindparam("account_id"),
        t.rules.c.kind == bindparam("kind"),
        t.rules.c.active.is_(True),
    )
    .order_by(t.rules.c.position, t.rules.c.id)
)
# The active rules of an account and kind, parsed, kept per process while the rules' version
# (how many, and the sum and latest of their change times) stays the same: every change of
# a rule stamps a later `updated` than it had (core/rules/define.py), so another process's
# change shows in the version at once.
# Built once with bind parameters (as storage/hot_queries.py's): the ticket page lists its
# macros on every view, and building a statement and its cache key costs more than running it.
_RULES = (
    select(t.rules)
    .where(t.rules.c.account_id == bindparam("account_id"), t.rules.c.kind == bindparam("kind"))
    .order_by(t.rules.c.position, t.rules.c.id)
)
_VERSION = select(
    func.count(), func.coalesce(func.max(t.rules.c.updated), 0),
    func.coalesce(func.sum(t.rules.c.updated), 0),
).where(
    t.rules.c.account_id == bindparam("account_id"), t.rules.c.kind == bindparam("kind")
)  # fmt: skip
_PARSED: dict[tuple[int, str], tuple[tuple[int, int, int], tuple[Rule, ...]]] = {}
_REQUESTER = (
    select(t.tickets.c.id, t.contacts.c.email)
    .join(t.contacts, t.contacts.c.id == t.tickets.c.requester_id)
    .where(t.tickets.c.id.in_(bindparam("ticket_ids", expanding=True)))
)
# A trigger run's first read of a ticket, with its requester's address: one statement
# instead of the ticket's and then the address's.
_TICKET_AND_REQUESTER = (
    select(t.tickets, t.contacts.c.email.label("requester_email"))
    .select_from(t.tickets.outerjoin(t.contacts, t.contacts.c.id == t.tickets.c.requester_id))
    .where(
        t.tickets.c.id == bindparam("ticket_id"), t.tickets.c.account_id == bindparam("account_id")
    )
)


class SqlRules:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- rules ---------------------------------------------------------------------------------

    def insert_rule(self, values: Mapping[str, Any]) -> Rule:
        return _rule(insert_row(self.conn, t.rules, _stored(values)))

    def update_rule(self, rule_id: int, changes: Mapping[str, Any]) -> Rule:
        return _rule(update_row(self.conn, t.rules, rule_id, _stored(changes)))

    def get_rule(self, account_id: int, rule_id: int) -> Rule | None:
        row = one_in_account(self.conn, t.rules, account_id, rule_id)
        return _rule(row) if row else None

    def list_rules(self, account_id: int, kind: RuleKind) -> list[Rule]:
        params = {"account_id": account_id, "kind": kind.value}
        return [_rule(row) for row in self.conn.execute(_RULES, params)]

    def active_rules(self, account_id: int, kind: RuleKind) -> tuple[Rule, ...]:
        params = {"account_id": account_id, "kind": kind.value}
        count, latest, total = self.conn.execute(_VERSION, params).one()
        version = (int(count), int(latest), int(total))
        known = _PARSED.get((account_id, kind.value))
        if known is not None and known[0] == version:
            return known[1]
        rules = tuple(_rule(row) for row in self.conn.execute(_ACTIVE, params))
        _PARSED[(account_id, kind.value)] = (version, rules)
        return rules

    def delete_rule(self, rule_id: int) -> None:
        self.conn.execute(delete(t.rule_firings).where(t.rule_firings.c.rule_id == rule_id))
        self.conn.execute(delete(t.rules).where(t.rules.c.id == rule_id))

    def next_position(self, account_id: int, kind: RuleKind) -> int:
        r = t.rules
        top = self.conn.execute(
            select(func.max(r.c.position)).where(
                r.c.account_id == account_id, r.c.kind == kind.value
            )
        ).scalar()
        return 1 if top is None else int(top) + 1

    def accounts_with(self, kind: RuleKind) -> list[int]:
        r = t.rules
        rows = self.conn.execute(
            select(r.c.account_id)
            .where(r.c.kind == kind.value, r.c.active.is_(True))
            .distinct()
            .order_by(r.c.account_id)
        )
        return [int(account_id) for account_id in rows.scalars()]

    def record_firing(
        self, account_id: int, rule_id: int, ticket_id: int, state: str, now: int
    ) -> bool:
        table = t.rule_firings
        inserted = self.conn.execute(
            upsert(self.conn)(table)
            .values(
                account_id=account_id,
                rule_id=rule_id,
                ticket_id=ticket_id,
                state=state,
                created=now,
            )
            .on_conflict_do_nothing(index_elements=["rule_id", "ticket_id", "state"])
            .returning(table.c.id)
        ).first()
        return inserted is not None  # (rowcount is not reliable for this on every driver)

    def fired_states(
        self, rule_ids: Sequence[int], ticket_ids: Sequence[int]
    ) -> set[tuple[int, int, str]]:
        rf = t.rule_firings
        rows = self.conn.execute(
            select(rf.c.rule_id, rf.c.ticket_id, rf.c.state).where(
                rf.c.rule_id.in_(list(rule_ids)), rf.c.ticket_id.in_(list(ticket_ids))
            )
        )
        return {(int(row.rule_id), int(row.ticket_id), str(row.state)) for row in rows}

    # -- facts ---------------------------------------------------------------------------------

    def open_ticket_ids(self, account_id: int, after_id: int, limit: int) -> list[int]:
        return open_ticket_ids(self.conn, account_id, after_id, limit)

    def requester_emails(self, ticket_ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute(_REQUESTER, {"ticket_ids": list(ticket_ids)})
        return {int(row.id): str(row.email) for row in rows if row.email is not None}

    def ticket_and_requester(
        self, account_id: int, ticket_id: int
    ) -> tuple[Ticket, str | None] | None:
        params = {"ticket_id": ticket_id, "account_id": account_id}
        row = self.conn.execute(_TICKET_AND_REQUESTER, params).one_or_none()
        if row is None:
            return None
        email = row._mapping["requester_email"]
        return ticket_from_row(row), None if email is None else str(email)

    def openers(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, str]:
        e = t.events
        rows = self.conn.execute(
            select(e.c.ticket_id, e.c.actor)
            .where(
                e.c.account_id == account_id,
                e.c.ticket_id.in_(list(ticket_ids)),
                e.c.kind == kinds.TICKET_OPENED,
            )
            .order_by(e.c.id.desc())
        )
        # Newest first, so that each ticket's first opening is the one left in the dict.
        return {int(row.ticket_id): str(row.actor) for row in rows}

    def status_since(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
        return self._last_event(account_id, ticket_ids, kinds.STATUS_CHANGED)

    def assigned_changed(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
        return self._last_event(account_id, ticket_ids, kinds.ASSIGNED)

    def _last_event(self, account_id: int, ticket_ids: Sequence[int], kind: str) -> dict[int, int]:
        tk, e = t.tickets, t.events
        # The account first, so that ix_events_account_ticket serves it: by ticket id alone
        # it was a scan of the whole event log for every ticket of a time rules' sweep.
        last = (
            select(e.c.ticket_id, func.max(e.c.created).label("at"))
            .where(
                e.c.account_id == account_id, e.c.ticket_id.in_(list(ticket_ids)), e.c.kind == kind
            )
            .group_by(e.c.ticket_id)
            .subquery()
        )
        rows = self.conn.execute(
            select(tk.c.id, func.coalesce(last.c.at, tk.c.created).label("at"))
            .outerjoin(last, last.c.ticket_id == tk.c.id)
            .where(tk.c.id.in_(list(ticket_ids)))
        )
        return {int(row.id): int(row.at) for row in rows}

    def message_text(self, message_id: int) -> str:
        m = t.messages
        text = self.conn.execute(select(m.c.body_text).where(m.c.id == message_id)).scalar()
        return str(text or "")

    # -- fair assignment -----------------------------------------------------------------------

    def assignment_of(self, inbox_id: int) -> tuple[str, int | None] | None:
        ia = t.inbox_assignment
        row = self.conn.execute(
            select(ia.c.method, ia.c.last_agent_id).where(ia.c.inbox_id == inbox_id)
        ).one_or_none()
        return None if row is None else (str(row.method), row.last_agent_id)

    def lock_assignment(
        self, account_id: int, inbox_id: int, default_method: str, now: int
    ) -> tuple[str, int | None]:
        ia = t.inbox_assignment
        self.conn.execute(
            upsert(self.conn)(ia)
            .values(inbox_id=inbox_id, account_id=account_id, method=default_method, updated=now)
            .on_conflict_do_nothing(index_elements=[ia.c.inbox_id])
        )
        query = select(ia.c.method, ia.c.last_agent_id).where(ia.c.inbox_id == inbox_id)
        if locks_rows(self.conn):
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        return str(row.method), row.last_agent_id

    def save_assignment(
        self, account_id: int, inbox_id: int, method: str, last_agent_id: int | None, now: int
    ) -> None:
        ia = t.inbox_assignment
        values = {"method": method, "last_agent_id": last_agent_id, "updated": now}
        self.conn.execute(
            upsert(self.conn)(ia)
            .values(inbox_id=inbox_id, account_id=account_id, **values)
            .on_conflict_do_update(index_elements=[ia.c.inbox_id], set_=values)
        )

    def capacities(self, account_id: int) -> dict[int, int | None]:
        ac = t.agent_capacity
        rows = self.conn.execute(
            select(ac.c.agent_id, ac.c.capacity).where(ac.c.account_id == account_id)
        )
        return {int(row.agent_id): row.capacity for row in rows}

    def set_capacity(self, account_id: int, agent_id: int, capacity: int | None, now: int) -> None:
        ac = t.agent_capacity
        values = {"capacity": capacity, "updated": now}
        self.conn.execute(
            upsert(self.conn)(ac)
            .values(agent_id=agent_id, account_id=account_id, **values)
            .on_conflict_do_update(index_elements=[ac.c.agent_id], set_=values)
        )

    def open_counts(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, int]:
        ta, tk = t.ticket_assignees, t.tickets
        rows = self.conn.execute(
            select(ta.c.agent_id, func.count().label("n"))
            .join(tk, and_(tk.c.id == ta.c.ticket_id, tk.c.account_id == account_id))
            .where(
                ta.c.agent_id.in_(list(agent_ids)),
                tk.c.status.in_(_OPEN),
                tk.c.archived_at.is_(None),
                tk.c.merged_into_id.is_(None),
            )
            .group_by(ta.c.agent_id)
        )
        counts = {int(row.agent_id): int(row.n) for row in rows}
        return {agent_id: counts.get(agent_id, 0) for agent_id in agent_ids}


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """Conditions and actions as JSON triples; the rest as given."""
    stored = dict(values)
    if "conditions" in stored:
        stored["conditions"] = json.dumps(
            [[c.subject, c.operator, _plain(c.value)] for c in stored["conditions"]]
        )
    if "actions" in stored:
        stored["actions"] = json.dumps([[a.kind, _plain(a.value)] for a in stored["actions"]])
    for key in ("kind", "match"):
        if key in stored:
            stored[key] = str(stored[key])
    return stored


def _plain(value: Value) -> object:
    return list(value) if isinstance(value, tuple) else value


def _value(raw: object) -> Value:
    if isinstance(raw, list):
        return tuple(str(item) for item in raw)
    if isinstance(raw, bool | int | str):
        return raw
    return str(raw)


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        account_id=row.account_id,
        kind=RuleKind(row.kind),
        name=row.name,
        position=row.position,
        active=bool(row.active),
        match=Match(row.match),
        conditions=tuple(Condition(s, o, _value(v)) for s, o, v in json.loads(row.conditions)),
        actions=tuple(Action(k, _value(v)) for k, v in json.loads(row.actions)),
        reply=row.reply,
        created=row.created,
        updated=row.updated,
    )
