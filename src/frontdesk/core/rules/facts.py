"""A ticket's facts for the conditions: read in a few queries, only those rules need."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

from frontdesk.core.automation import service_levels
from frontdesk.core.automation.calendars import is_business_time
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import Rule, TicketFacts
from frontdesk.core.shared import events
from frontdesk.core.shared.records import Actor, Event
from frontdesk.core.tickets.records import Ticket, TicketDetails

# Facts another area computes for tickets at a moment (part B: SLA due times), read only
# when a rule has a condition whose subject starts with the provider's prefix. A provider
# answers for a batch of one account's tickets at once (a time rules' sweep reads each
# kind of fact once per batch), keyed by ticket id.
ExtraFacts = Callable[[RulesUnit, Sequence[Ticket], int], Mapping[int, Mapping[str, object]]]
_EXTRA: list[tuple[str, ExtraFacts]] = []


def register_facts(prefix: str, provider: ExtraFacts) -> None:
    """Fill `TicketFacts.extra` from `provider` for conditions on subjects `prefix...`."""
    _EXTRA.append((prefix, provider))


def _extra(
    uow: RulesUnit, tickets: Sequence[Ticket], now: int, needed: frozenset[str]
) -> dict[int, dict[str, object]]:
    found: dict[int, dict[str, object]] = {ticket.id: {} for ticket in tickets}
    for prefix, provider in _EXTRA:
        if any(subject.startswith(prefix) for subject in needed):
            for ticket_id, facts in provider(uow, tickets, now).items():
                found[ticket_id].update(facts)
    return found


def channel_of(opened_by: str | None) -> str:
    """The channel a ticket came in by, from who recorded its opening (docs/automation.md)."""
    label = opened_by or ""
    if label.startswith("mail"):
        return "email"
    if label.startswith("visitor") or label.startswith("chat"):
        return "chat"
    if label.endswith(":contact-form"):
        return "web"
    return "api"


# Subjects that read the requester's address.
REQUESTER = frozenset({"requester", "requester_domain"})
# Subjects that read the ticket's labels, tags, assignees or fields (one more query).
_DETAILED = frozenset({"labels", "tags", "assigned", "unassigned_minutes"})
_NONE = TicketDetails()


def _fields(needed: frozenset[str]) -> bool:
    return any(subject.startswith("field:") for subject in needed)


def with_event(
    uow: RulesUnit, facts: TicketFacts, event: Event, needed: frozenset[str]
) -> TicketFacts:
    """The same ticket's facts for another event of the same transaction."""
    return replace(facts, event=event, body=_body(uow, event, needed))


def _body(uow: RulesUnit, event: Event | None, needed: frozenset[str]) -> str:
    if "body" not in needed or event is None or event.kind != events.MESSAGE_ADDED:
        return ""
    message_id = event.data.get("message_id")
    return uow.rules.message_text(message_id) if isinstance(message_id, int) else ""


def _business_hours(uow: RulesUnit, tickets: Sequence[Ticket], now: int) -> dict[int, bool]:
    """Whether `now` is within the hours of the calendar each ticket's SLA policy follows
    (always, without a policy)."""
    calendars = service_levels.calendars_of(uow, tickets)
    return {ticket.id: is_business_time(calendars[ticket.id], now) for ticket in tickets}


def subjects_of(rules: Collection[Rule]) -> frozenset[str]:
    return frozenset(condition.subject for rule in rules for condition in rule.conditions)


def facts_of(
    uow: RulesUnit,
    actor: Actor,
    ticket: Ticket,
    now: int,
    *,
    needed: frozenset[str],
    event: Event | None = None,
) -> TicketFacts:
    """The facts of one ticket, as `facts_of_many` reads them, with the event's."""
    found = facts_of_many(uow, [ticket], now, needed=needed)[ticket.id]
    return replace(found, event=event, body=_body(uow, event, needed))


def facts_of_many(
    uow: RulesUnit, tickets: Sequence[Ticket], now: int, *, needed: frozenset[str]
) -> dict[int, TicketFacts]:
    """The facts of a batch of one account's tickets, by ticket id: each kind of fact
    (requester, details, channel, times, business hours, other areas' facts) is read in
    one query for the whole batch, and only when a condition in `needed` reads it."""
    if not tickets:
        return {}
    reads = _Reads(uow, tickets[0].account_id, [ticket.id for ticket in tickets], needed)
    hours = _business_hours(uow, tickets, now) if "business_hours" in needed else {}
    extra = _extra(uow, tickets, now, needed) if _EXTRA else {}
    return {
        ticket.id: TicketFacts(
            ticket=ticket,
            details=reads.details.get(ticket.id, _NONE),
            now=now,
            requester_email=reads.requesters.get(ticket.id),
            channel=channel_of(reads.openers.get(ticket.id)) if "channel" in needed else "",
            business_hours=hours.get(ticket.id, True),
            status_since=reads.status_since.get(ticket.id),
            unassigned_since=reads.unassigned_since.get(ticket.id),
            extra=extra.get(ticket.id, {}),
        )
        for ticket in tickets
    }


class _Reads:
    """The rules area's own reads for a batch of tickets, each one query or none."""

    def __init__(
        self, uow: RulesUnit, account_id: int, ids: list[int], needed: frozenset[str]
    ) -> None:
        wants = needed.__contains__
        self.requesters = uow.rules.requester_emails(ids) if needed & REQUESTER else {}
        self.details = (
            uow.tickets.ticket_details(ids) if needed & _DETAILED or _fields(needed) else {}
        )
        self.openers = uow.rules.openers(account_id, ids) if wants("channel") else {}
        self.status_since = (
            uow.rules.status_since(account_id, ids) if wants("status_minutes") else {}
        )
        unassigned = [i for i in ids if not self.details.get(i, _NONE).assignee_ids]
        self.unassigned_since = (
            uow.rules.assigned_changed(account_id, unassigned)
            if wants("unassigned_minutes") and unassigned
            else {}
        )
