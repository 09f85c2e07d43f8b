"""Changing a ticket: status, assignees, labels, tags, fields, notes, links, archive."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from frontdesk.core.identity import accounts
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound, PreconditionFailed
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets._checks import MAX_SUBJECT, checked_text, checked_words
from frontdesk.core.tickets._lookup import details_of, get_ticket, live_ticket
from frontdesk.core.tickets._messages import change_status, log
from frontdesk.core.tickets.field_types import normalised
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    Priority,
    Status,
    Ticket,
    VersionCondition,
)


def expect_version(
    uow: TicketsUnit, actor: Actor, ticket_id: int, condition: VersionCondition | None
) -> Ticket:
    """Lock the ticket and check the caller's condition on its version before a change in
    the same transaction: a client that read version N learns (412) that someone changed
    the ticket since, instead of overwriting that change unseen. None: no condition."""
    ticket = get_ticket(uow, actor, ticket_id, lock=True)
    if condition is not None and not condition.holds(ticket.version):
        raise PreconditionFailed(
            "version_mismatch",
            f"Ticket {ticket.id} changed: it is at version {ticket.version} now",
            field="If-Match",
        )
    return ticket


def set_status(
    uow: TicketsUnit,
    actor: Actor,
    ticket_id: int,
    status: Status,
    *,
    reason: str | None = None,
    force: bool = False,
) -> Ticket:
    """Move a ticket in the lifecycle; `force` closes it so that the customer cannot reopen it."""
    ticket = live_ticket(uow, actor, ticket_id, lock=True)
    return change_status(uow, actor, ticket, status, reason=reason, force=force)


def assign(uow: TicketsUnit, actor: Actor, ticket_id: int, agent_ids: Iterable[int]) -> Ticket:
    """Make exactly these agents the ticket's assignees (empty unassigns everyone)."""
    ticket = live_ticket(uow, actor, ticket_id)
    return replace_assignees(uow, actor, ticket, agent_ids)


def replace_assignees(
    uow: TicketsUnit,
    actor: Actor,
    ticket: Ticket,
    agent_ids: Iterable[int],
    *,
    before: Sequence[int] | None = None,
    fresh: bool = False,
) -> Ticket:
    """`assign` on a ticket in hand; `before` is its assignees when known without reading,
    `fresh` says the ticket was made in this transaction (nothing to clear)."""
    wanted = sorted(set(agent_ids))
    agents = accounts.agents_by_id(uow, actor.account_id, wanted)
    for agent_id in wanted:
        if agent_id not in agents:
            raise NotFound("agent_not_found", f"No agent {agent_id}", field="assignee")
    if before is None:
        before = details_of(uow, ticket).assignee_ids
    if tuple(wanted) == tuple(sorted(before)):
        return ticket
    now = now_ms()
    uow.tickets.replace_values("assignees", ticket.id, wanted, fresh=fresh)
    names = ", ".join(agents[agent_id].name for agent_id in wanted) or "nobody"
    log(uow, actor, ticket, f"Assigned to {names}", now)
    added = sorted(set(wanted) - set(before))  # whom to tell (core.notify)
    events.record(
        uow, actor, events.ASSIGNED, now, ticket_id=ticket.id, agent_ids=wanted, added=added
    )
    return uow.tickets.update_ticket(ticket.id, {"updated": now, "latest_activity": now})


def set_labels(uow: TicketsUnit, actor: Actor, ticket_id: int, labels: Iterable[str]) -> Ticket:
    return _replace_words(uow, actor, ticket_id, "labels", labels, events.LABELS_SET)


def set_tags(uow: TicketsUnit, actor: Actor, ticket_id: int, tags: Iterable[str]) -> Ticket:
    return _replace_words(uow, actor, ticket_id, "tags", tags, events.TAGS_SET)


def _replace_words(
    uow: TicketsUnit, actor: Actor, ticket_id: int, what: str, values: Iterable[str], kind: str
) -> Ticket:
    ticket = live_ticket(uow, actor, ticket_id)
    return write_words(uow, actor, ticket, what, checked_words(values, what), kind)


def write_words(
    uow: TicketsUnit,
    actor: Actor,
    ticket: Ticket,
    what: str,
    words: list[str],
    kind: str,
    *,
    fresh: bool = False,
) -> Ticket:
    now = now_ms()
    uow.tickets.replace_values(what, ticket.id, words, fresh=fresh)
    events.record(uow, actor, kind, now, ticket_id=ticket.id, values=words)
    return uow.tickets.update_ticket(ticket.id, {"updated": now})


def set_custom_fields(
    uow: TicketsUnit, actor: Actor, ticket_id: int, values: Mapping[str, str | None]
) -> Ticket:
    """Set values by field name; the names must be defined for the account and each value
    fit its field's type (stored in the type's normal form). None clears."""
    return write_fields(uow, actor, live_ticket(uow, actor, ticket_id), values)


def write_fields(
    uow: TicketsUnit, actor: Actor, ticket: Ticket, values: Mapping[str, str | None]
) -> Ticket:
    by_id: dict[int, str | None] = {}
    for name, value in values.items():
        definition = uow.taxonomy.find_field(actor.account_id, name.strip(), lock=True)
        if definition is None:
            raise Invalid(
                "unknown_field", f"No custom field named {name[:80]!r}", field="customFields"
            )
        by_id[definition.id] = None if value is None else normalised(definition, value)
    now = now_ms()
    uow.tickets.set_field_values(ticket.id, by_id)
    events.record(uow, actor, events.FIELDS_SET, now, ticket_id=ticket.id, names=sorted(values))
    return uow.tickets.update_ticket(ticket.id, {"updated": now})


def set_notes(uow: TicketsUnit, actor: Actor, ticket_id: int, notes: str) -> Ticket:
    ticket = live_ticket(uow, actor, ticket_id)
    now = now_ms()
    events.record(uow, actor, events.NOTES_SET, now, ticket_id=ticket.id)
    return uow.tickets.update_ticket(
        ticket.id, {"notes": checked_text(notes, "notes", 100_000), "updated": now}
    )


def set_priority(uow: TicketsUnit, actor: Actor, ticket_id: int, priority: Priority) -> Ticket:
    ticket = live_ticket(uow, actor, ticket_id)
    priority = Priority(priority)
    if priority is ticket.priority:
        return ticket
    now = now_ms()
    events.record(
        uow, actor, events.PRIORITY_SET, now, ticket_id=ticket.id, priority=priority.value
    )
    return uow.tickets.update_ticket(ticket.id, {"priority": priority.value, "updated": now})


def set_subject(uow: TicketsUnit, actor: Actor, ticket_id: int, subject: str) -> Ticket:
    ticket = live_ticket(uow, actor, ticket_id)
    now = now_ms()
    events.record(uow, actor, "ticket.subject_set", now, ticket_id=ticket.id)
    return uow.tickets.update_ticket(
        ticket.id,
        {"subject": checked_text(subject, "subject", MAX_SUBJECT, required=True), "updated": now},
    )


def link(uow: TicketsUnit, actor: Actor, ticket_id: int, other_id: int) -> Ticket:
    """Link two tickets of the same account, both ways."""
    # Locked in id order, so that two links of the same pair at once cannot deadlock.
    locked = {
        each: get_ticket(uow, actor, each, lock=True) for each in sorted({ticket_id, other_id})
    }
    ticket, other = locked[ticket_id], locked[other_id]
    if ticket.id == other.id:
        raise Invalid("link_to_self", "A ticket cannot be linked to itself", field="ticketId")
    now = now_ms()
    uow.tickets.add_link(ticket.id, other.id)
    uow.tickets.add_link(other.id, ticket.id)
    events.record(uow, actor, events.LINKED, now, ticket_id=ticket.id, other_id=other.id)
    uow.tickets.update_ticket(other.id, {"updated": now})
    return uow.tickets.update_ticket(ticket.id, {"updated": now})


def archive(uow: TicketsUnit, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(uow, actor, ticket_id, lock=True)
    if ticket.archived_at is not None:
        return ticket
    now = now_ms()
    events.record(uow, actor, events.ARCHIVED, now, ticket_id=ticket.id)
    return uow.tickets.update_ticket(ticket.id, {"archived_at": now, "updated": now})


def unarchive(uow: TicketsUnit, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(uow, actor, ticket_id, lock=True)
    if ticket.archived_at is None:
        return ticket
    now = now_ms()
    events.record(uow, actor, events.UNARCHIVED, now, ticket_id=ticket.id)
    return uow.tickets.update_ticket(ticket.id, {"archived_at": None, "updated": now})


def mark_read_by_client(uow: TicketsUnit, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(uow, actor, ticket_id, lock=True)
    now = now_ms()
    events.record(uow, actor, events.READ_BY_CLIENT, now, ticket_id=ticket.id)
    return uow.tickets.update_ticket(ticket.id, {"client_last_read": now, "updated": now})
