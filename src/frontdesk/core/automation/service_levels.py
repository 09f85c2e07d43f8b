"""SLA policies and business-hours calendars: what admins set, and each ticket's clocks
kept in step with what happens to it (docs/automation.md).

The clocks move in the transaction that moved them: `track` runs just before every write
transaction commits (services wires it to the store), reads the events the transaction
recorded and stores each touched ticket's new state, due time and breach flag with them.
Time passing on its own is the sweep's work (`sweep`, a periodic job): it records the
warnings and breaches whose moment has come, once each. A change of policy or calendar
re-targets the account's open tickets in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import TypeVar

from frontdesk.core.automation import sla
from frontdesk.core.automation.calendars import ALWAYS, Calendar, make_calendar, parse_span
from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import BusinessCalendar, SlaPolicy, TicketSla
from frontdesk.core.automation.sla import Happening, Metric, SlaState, Targets
from frontdesk.core.identity import accounts
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Event, Scope
from frontdesk.core.shared.text import check_text
from frontdesk.core.tickets import get_ticket
from frontdesk.core.tickets.records import OPEN_STATUSES, Priority, Status, Ticket

SLA_WARNING = events.SLA_WARNING
SLA_BREACHED = events.SLA_BREACHED
SLA_SETTINGS_CHANGED = "sla.settings_changed"
# What the clocks do not react to: their own alarms, and the kinds that change nothing a
# clock looks at (read marks, drafts, the outbox's bookkeeping, the rules' own records).
_IGNORED = frozenset({SLA_WARNING, SLA_BREACHED}) | events.QUIET
MAX_NAME = 100
MAX_TARGET_MINUTES = 365 * 24 * 60
MAX_WARN_MINUTES = 7 * 24 * 60
MAX_POLICIES = 100
MAX_CALENDARS = 50
BATCH = 500  # tickets per batch when a change re-targets an account's open tickets


@dataclass(frozen=True)
class CalendarFields:
    name: str
    zone: str
    # weekday (0 = Monday) -> "09:00-17:00", several spans comma-separated; absent: closed
    hours: Mapping[int, str] = field(default_factory=dict)
    holidays: Sequence[str] = ()  # ISO dates, YYYY-MM-DD, in the calendar's zone


@dataclass(frozen=True)
class PolicyFields:
    name: str
    targets: Mapping[Priority, Targets]
    calendar_id: int | None = None
    inbox_id: int | None = None
    label: str | None = None
    warn_minutes: int = 0
    position: int = 0


def _admin(actor: Actor) -> None:
    if Scope.ADMIN not in actor.scopes:
        raise Forbidden("missing_scope", "Changing SLA settings needs the admin scope")


def _name(text: str) -> str:
    check_text(text, "name")
    name = text.strip()
    if not name:
        raise Invalid("required", "A name is required", field="name")
    if len(name) > MAX_NAME:
        raise Invalid("too_long", f"A name has at most {MAX_NAME} characters", field="name")
    return name


# -- calendars --------------------------------------------------------------------------------


def checked_calendar(fields: CalendarFields) -> Calendar:
    spans = [
        parse_span(day, part)
        for day, text in sorted(fields.hours.items())
        for part in text.split(",")
        if part.strip()
    ]
    if any(not 0 <= day <= 6 for day in fields.hours):
        raise Invalid("invalid_hours", "Weekdays are 0 (Monday) to 6 (Sunday)", field="hours")
    if not spans:
        raise Invalid("required", "Give the hours of at least one day", field="hours")
    return make_calendar(fields.zone.strip(), spans, [_day(text) for text in fields.holidays])


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise Invalid("invalid_date", f"{text[:40]!r} is not a date (YYYY-MM-DD)",
                      field="holidays") from exc  # fmt: skip


def _calendar_values(fields: CalendarFields) -> dict[str, object]:
    calendar = checked_calendar(fields)
    return {
        "name": _name(fields.name),
        "zone": calendar.zone,
        "hours": json.dumps([[s.weekday, s.start, s.end] for s in calendar.spans]),
        "holidays": json.dumps(sorted(day.isoformat() for day in calendar.holidays)),
    }


def list_calendars(uow: AutomationUnit, actor: Actor) -> list[BusinessCalendar]:
    return uow.sla.list_calendars(actor.account_id)


Row = TypeVar("Row", BusinessCalendar, SlaPolicy)


def _one(rows: Iterable[Row], row_id: int, what: str) -> Row:
    """The account's row with this id (the lists are short); another account's is a 404."""
    for found in rows:
        if found.id == row_id:
            return found
    raise NotFound(f"{what}_not_found", f"No {what.replace('_', ' ')} {row_id}", field=f"{what}_id")


def get_calendar(uow: AutomationUnit, actor: Actor, calendar_id: int) -> BusinessCalendar:
    return _one(uow.sla.list_calendars(actor.account_id), calendar_id, "calendar")


def create_calendar(uow: AutomationUnit, actor: Actor, fields: CalendarFields) -> BusinessCalendar:
    _admin(actor)
    if len(uow.sla.list_calendars(actor.account_id)) >= MAX_CALENDARS:
        raise Invalid("too_many", f"An account has at most {MAX_CALENDARS} calendars")
    now = now_ms()
    values = {**_calendar_values(fields), "account_id": actor.account_id}
    made = uow.sla.insert_calendar({**values, "created": now, "updated": now})
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now, calendar_id=made.id)
    return made


def update_calendar(
    uow: AutomationUnit, actor: Actor, calendar_id: int, fields: CalendarFields
) -> BusinessCalendar:
    _admin(actor)
    get_calendar(uow, actor, calendar_id)
    before = _rules(uow, actor.account_id)
    now = now_ms()
    changed = uow.sla.update_calendar(calendar_id, {**_calendar_values(fields), "updated": now})
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now, calendar_id=calendar_id)
    _apply_to_open(uow, actor.account_id, before, now)
    return changed


def delete_calendar(uow: AutomationUnit, actor: Actor, calendar_id: int) -> None:
    _admin(actor)
    get_calendar(uow, actor, calendar_id)
    if any(p.calendar_id == calendar_id for p in uow.sla.list_policies(actor.account_id)):
        raise Conflict("calendar_in_use", "A policy uses this calendar; change it first")
    uow.sla.delete_calendar(calendar_id)
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now_ms(), calendar_id=calendar_id)


# -- policies ---------------------------------------------------------------------------------


def _minutes(value: int | None, what: str, *, upto: int) -> int | None:
    if value is not None and not 1 <= value <= upto:
        raise Invalid("out_of_range", f"{what} is 1 to {upto} minutes", field=what)
    return value


def _policy_values(uow: AutomationUnit, actor: Actor, fields: PolicyFields) -> dict[str, object]:
    if fields.calendar_id is not None:
        get_calendar(uow, actor, fields.calendar_id)
    if fields.inbox_id is not None and accounts.find_inbox(
        uow, actor.account_id, fields.inbox_id
    ) is None:  # fmt: skip
        raise NotFound("inbox_not_found", f"No inbox {fields.inbox_id}", field="inbox_id")
    if not 0 <= fields.warn_minutes <= MAX_WARN_MINUTES:
        raise Invalid("out_of_range", f"Warn 0 to {MAX_WARN_MINUTES} minutes before",
                      field="warn_minutes")  # fmt: skip
    targets = {}
    for priority, given in fields.targets.items():
        targets[Priority(priority).value] = [
            _minutes(given.of(metric), metric.value, upto=MAX_TARGET_MINUTES) for metric in Metric
        ]
    label = (fields.label or "").strip() or None
    if label is not None:
        check_text(label, "label")
    return {
        "name": _name(fields.name),
        "position": fields.position,
        "inbox_id": fields.inbox_id,
        "label": label[:100] if label else None,
        "calendar_id": fields.calendar_id,
        "targets": json.dumps(targets, sort_keys=True),
        "warn_minutes": fields.warn_minutes,
    }


def list_policies(uow: AutomationUnit, actor: Actor) -> list[SlaPolicy]:
    return uow.sla.list_policies(actor.account_id)


def get_policy(uow: AutomationUnit, actor: Actor, policy_id: int) -> SlaPolicy:
    return _one(uow.sla.list_policies(actor.account_id), policy_id, "policy")


def create_policy(uow: AutomationUnit, actor: Actor, fields: PolicyFields) -> SlaPolicy:
    _admin(actor)
    before = _rules(uow, actor.account_id)
    if len(before.policies) >= MAX_POLICIES:
        raise Invalid("too_many", f"An account has at most {MAX_POLICIES} SLA policies")
    now = now_ms()
    values = {**_policy_values(uow, actor, fields), "account_id": actor.account_id}
    made = uow.sla.insert_policy({**values, "created": now, "updated": now})
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now, policy_id=made.id)
    _apply_to_open(uow, actor.account_id, before, now)
    return made


def update_policy(
    uow: AutomationUnit, actor: Actor, policy_id: int, fields: PolicyFields
) -> SlaPolicy:
    _admin(actor)
    get_policy(uow, actor, policy_id)
    before = _rules(uow, actor.account_id)
    now = now_ms()
    changed = uow.sla.update_policy(
        policy_id, {**_policy_values(uow, actor, fields), "updated": now}
    )
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now, policy_id=policy_id)
    _apply_to_open(uow, actor.account_id, before, now)
    return changed


def delete_policy(uow: AutomationUnit, actor: Actor, policy_id: int) -> None:
    _admin(actor)
    get_policy(uow, actor, policy_id)
    before = _rules(uow, actor.account_id)
    now = now_ms()
    uow.sla.delete_policy(policy_id)
    events.record(uow, actor, SLA_SETTINGS_CHANGED, now, policy_id=policy_id)
    _apply_to_open(uow, actor.account_id, before, now)


def ticket_sla(uow: AutomationUnit, actor: Actor, ticket_id: int) -> TicketSla | None:
    """A ticket's stored clocks (None when no policy ever applied to it); NotFound for a
    ticket the actor may not see, another account's among them."""
    return clocks_of(uow, get_ticket(uow, actor, ticket_id))


def clocks_of(uow: AutomationUnit, ticket: Ticket) -> TicketSla | None:
    """`ticket_sla` for a ticket the caller has already looked up as the actor (one read)."""
    return uow.sla.ticket_states([ticket.id]).get(ticket.id)


# -- the clocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """An account's policies and calendars, as the clocks need them."""

    policies: list[SlaPolicy]
    calendars: dict[int, Calendar]

    def policy_for(self, ticket: Ticket, labels: Iterable[str]) -> SlaPolicy | None:
        carried = set(labels)
        for policy in self.policies:
            inbox_fits = policy.inbox_id is None or policy.inbox_id == ticket.inbox_id
            if inbox_fits and (policy.label is None or policy.label in carried):
                return policy
        return None

    def engine(self, policy_id: int | None, priority: Priority) -> sla.Policy:
        policy = next((p for p in self.policies if p.id == policy_id), None)
        if policy is None:
            return sla.Policy(Targets(), ALWAYS)
        calendar = self.calendars.get(policy.calendar_id or 0, ALWAYS)
        return sla.Policy(policy.targets_for(priority), calendar, policy.warn_minutes)


def calendar_of(uow: AutomationUnit, ticket: Ticket) -> Calendar:
    """The business hours of the ticket's SLA policy (the one its clocks follow); every
    hour counts when no policy covers it or its policy has no calendar."""
    return calendars_of(uow, [ticket])[ticket.id]


def calendars_of(uow: AutomationUnit, tickets: Sequence[Ticket]) -> dict[int, Calendar]:
    """`calendar_of` for a batch of one account's tickets: the policies once, the labels
    (which a policy may select by) in one read, and none of that without a policy."""
    if not tickets:
        return {}
    rules = _rules(uow, tickets[0].account_id)
    if not rules.policies:
        return dict.fromkeys((ticket.id for ticket in tickets), ALWAYS)
    labels = uow.sla.labels_of([ticket.id for ticket in tickets])
    found = {}
    for ticket in tickets:
        policy = rules.policy_for(ticket, labels.get(ticket.id, ()))
        calendar_id = policy.calendar_id if policy is not None else None
        found[ticket.id] = rules.calendars.get(calendar_id or 0, ALWAYS)
    return found


def _rules(uow: AutomationUnit, account_id: int) -> Rules:
    policies = uow.sla.list_policies(account_id)
    calendars = {c.id: c.calendar for c in uow.sla.list_calendars(account_id)} if any(
        p.calendar_id for p in policies) else {}  # fmt: skip
    return Rules(policies, calendars)


def _system(account_id: int) -> Actor:
    return Actor(account_id=account_id, label="sla")


def _record_alarms(
    uow: AutomationUnit, row: TicketSla, alarms: Sequence[sla.Alarm], at: int
) -> None:
    for alarm in alarms:
        kind = SLA_BREACHED if alarm.breach else SLA_WARNING
        events.record(
            uow, _system(row.account_id), kind, at, ticket_id=row.ticket_id,
            metric=alarm.metric.value, due=alarm.due, policy_id=row.policy_id,
        )  # fmt: skip


def _stored(
    ticket: Ticket, policy_id: int | None, state: SlaState, engine: sla.Policy
) -> TicketSla:
    return TicketSla(
        ticket_id=ticket.id,
        account_id=ticket.account_id,
        policy_id=policy_id,
        state=state,
        due=state.due,
        breached=state.breached,
        next_check=sla.next_check(state, engine),
    )


def track(uow: AutomationUnit, recorded: Sequence[tuple[int, Event, int]]) -> None:
    """Move the clocks of the tickets this transaction's events touched (the store's
    before-commit hook). Costs one query per account when it has no policy."""
    moving = [(event, at) for _, event, at in recorded
              if event.ticket_id is not None and event.kind not in _IGNORED]  # fmt: skip
    moving.sort(key=lambda pair: pair[0].account_id)
    for account_id, items in groupby(moving, key=lambda pair: pair[0].account_id):
        rules = _rules(uow, account_id)
        if rules.policies:
            _track_account(uow, rules, account_id, list(items))


def _track_account(
    uow: AutomationUnit, rules: Rules, account_id: int, items: list[tuple[Event, int]]
) -> None:
    ids = list(dict.fromkeys(event.ticket_id for event, _ in items if event.ticket_id))
    tickets = uow.tickets.get_tickets(account_id, ids)
    states, labels = uow.sla.ticket_states(ids), uow.sla.labels_of(ids)
    authors = _message_authors(uow, account_id, [event for event, _ in items])
    replied = uow.sla.agent_replied([tid for tid in ids if tid not in states])
    saved = []
    for ticket_id in ids:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue  # deleted in this transaction
        policy = rules.policy_for(ticket, labels.get(ticket_id, ()))
        policy_id = policy.id if policy else None
        engine = rules.engine(policy_id, ticket.priority)
        mine = [(event, at) for event, at in items if event.ticket_id == ticket_id]
        stored = states.get(ticket_id)
        state = stored.state if stored else None
        if stored is not None and stored.policy_id != policy_id:  # a label or inbox moved it
            old = rules.engine(stored.policy_id, ticket.priority)
            state = sla.checkpoint(stored.state, old, mine[0][1])
        for event, at in mine:
            happening = _happening(event, authors)
            if state is None and happening is Happening.OPENED:
                state = SlaState()
            elif state is None:
                state = sla.fresh_state(ticket.status, at, replied=ticket_id in replied)
            state, alarms = sla.sweep_at(state, engine, at)
            _record_alarms(uow, _stored(ticket, policy_id, state, engine), alarms, at)
            state = sla.advance(state, engine, at, happening, _status_after(event, ticket))
        if state is not None:
            saved.append(_stored(ticket, policy_id, state, engine))
    uow.sla.save_states(saved, max(at for _, at in items))


def _status_after(event: Event, ticket: Ticket) -> Status:
    after = event.data.get("after") if event.kind == events.STATUS_CHANGED else None
    return Status(after) if isinstance(after, str) else ticket.status


def _message_authors(
    uow: AutomationUnit, account_id: int, pending: Sequence[Event]
) -> dict[int, Happening]:
    """For each external message among the events: an agent's reply or the customer's. A
    message with neither an agent nor a contact is the team's reply (core.tickets)."""
    ids = [event.data["message_id"] for event in pending
           if event.kind == events.MESSAGE_ADDED and event.data.get("kind") == "external"
           and isinstance(event.data.get("message_id"), int)]  # fmt: skip
    found = uow.tickets.get_messages(account_id, ids) if ids else []  # type: ignore[arg-type]
    return {
        message.id: Happening.CUSTOMER_WROTE
        if message.agent_id is None and message.contact_id is not None
        else Happening.AGENT_REPLIED
        for message in found
    }


def _happening(event: Event, authors: Mapping[int, Happening]) -> Happening | None:
    if event.kind == events.TICKET_OPENED:
        return Happening.OPENED
    message_id = event.data.get("message_id")
    if event.kind == events.MESSAGE_ADDED and isinstance(message_id, int):
        return authors.get(message_id)
    return None


def _apply_to_open(uow: AutomationUnit, account_id: int, before: Rules, now: int) -> None:
    """The account's open tickets under its policies as they now are, from `now` on."""
    rules = _rules(uow, account_id)
    after_id = 0
    while ids := uow.sla.open_ticket_ids(account_id, after_id, BATCH):
        after_id = ids[-1]
        tickets = uow.tickets.get_tickets(account_id, ids)
        states, labels = uow.sla.ticket_states(ids), uow.sla.labels_of(ids)
        replied = uow.sla.agent_replied([tid for tid in ids if tid not in states])
        saved = []
        for ticket in tickets.values():
            if ticket.status not in OPEN_STATUSES:
                continue
            stored = states.get(ticket.id)
            policy = rules.policy_for(ticket, labels.get(ticket.id, ()))
            policy_id = policy.id if policy else None
            engine = rules.engine(policy_id, ticket.priority)
            if stored is None:
                state = sla.fresh_state(ticket.status, now, replied=ticket.id in replied)
                state = sla.advance(state, engine, now, None, ticket.status)
            else:
                old = before.engine(stored.policy_id, ticket.priority)
                state = sla.retarget(sla.checkpoint(stored.state, old, now), engine)
            saved.append(_stored(ticket, policy_id, state, engine))
        uow.sla.save_states(saved, now)


def sweep(uow: AutomationUnit, now: int, *, limit: int = BATCH) -> int:
    """Record the warnings and breaches whose moment has come (the scheduler's job; one
    batch per call). Returns how many tickets it looked at."""
    rows = uow.sla.due_for_check(now, limit)
    rows.sort(key=lambda row: row.account_id)
    for account_id, group in groupby(rows, key=lambda row: row.account_id):
        batch = list(group)
        rules = _rules(uow, account_id)
        tickets = uow.tickets.get_tickets(account_id, [row.ticket_id for row in batch])
        saved = []
        for row in batch:
            ticket = tickets.get(row.ticket_id)
            if ticket is None:
                continue
            engine = rules.engine(row.policy_id, ticket.priority)
            state, alarms = sla.sweep_at(row.state, engine, now)
            _record_alarms(uow, row, alarms, now)
            saved.append(_stored(ticket, row.policy_id, state, engine))
        uow.sla.save_states(saved, now)
    return len(rows)
