"""Merge and split: messages change tickets, all or nothing, inside one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import MAX_SUBJECT, details_of, get_ticket, log
from frontdesk.core.tickets._changes import write_words
from frontdesk.core.tickets._checks import checked_text
from frontdesk.core.tickets._messages import record_status_change, status_columns
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import MessageKind, Status, Ticket


@dataclass(frozen=True)
class Merged:
    target: Ticket
    moved: int


@dataclass(frozen=True)
class Split:
    source: Ticket
    new_ticket: Ticket
    moved: int


def _lock_pair(
    uow: TicketsUnit, actor: Actor, first_id: int, second_id: int
) -> tuple[Ticket, Ticket]:
    """Lock two tickets in id order, so that two opposite merges cannot deadlock."""
    low, high = sorted((first_id, second_id))
    locked = {ticket_id: get_ticket(uow, actor, ticket_id, lock=True) for ticket_id in (low, high)}
    return locked[first_id], locked[second_id]


def merge(
    uow: TicketsUnit, actor: Actor, source_id: int, target_id: int, *, force: bool = False
) -> Merged:
    """Move every message of the source to the target; the source ends merged and closed.

    Tickets of two different requesters are merged only with `force`: the target's
    customer would otherwise read the source customer's conversation. Forced, the moved
    messages keep their own customer as their audience, and the target's customer sees
    only those addressed to them (customers.read_ticket).
    """
    if source_id == target_id:
        raise Invalid(
            "merge_into_self", "A ticket cannot be merged into itself", field="targetTicketId"
        )
    source, target = _lock_pair(uow, actor, source_id, target_id)
    if source.merged_into_id is not None:
        raise Conflict("already_merged", f"Ticket {source.id} was already merged")
    if target.merged_into_id is not None:
        raise Conflict("target_merged", f"Ticket {target.id} was merged into another ticket")
    foreign = _other_customer(source, target)
    if foreign is not None and not force:
        raise Conflict(
            "different_requesters",
            f"Tickets {source.id} and {target.id} have different requesters; "
            "merge them only with force",
            field="force",
        )
    now = now_ms()
    moved = uow.tickets.move_messages(
        uow.tickets.message_ids_of(source.id), target.id, audience_contact_id=foreign
    )
    details = uow.tickets.ticket_details([source.id, target.id])
    uow.tickets.replace_values(
        "labels", target.id, _union(details[target.id].labels, details[source.id].labels)
    )
    uow.tickets.replace_values(
        "tags", target.id, _union(details[target.id].tags, details[source.id].tags)
    )
    uow.tickets.add_link(source.id, target.id)
    uow.tickets.add_link(target.id, source.id)
    log(
        uow,
        actor,
        target,
        f"Ticket #{source.number} was merged into this ticket ({moved} messages)",
        now,
    )
    log(uow, actor, source, f"Merged into ticket #{target.number}", now)
    closing = status_columns(source, Status.CLOSED)
    uow.tickets.update_ticket(
        source.id,
        {"merged_into_id": target.id, **closing, "updated": now, "latest_activity": now},
    )
    if closing:  # the source's SLA clocks stop and reports see it closed, as on any close
        record_status_change(uow, actor, source, Status.CLOSED, now, reason="merged")
    events.record(
        uow, actor, events.MERGED, now, ticket_id=target.id, source_id=source.id, moved=moved
    )
    merged = uow.tickets.update_ticket(target.id, {"updated": now, "latest_activity": now})
    return Merged(merged, moved)


def _other_customer(source: Ticket, target: Ticket) -> int | None:
    """The source's requester when it is another customer than the target's, else None."""
    if source.requester_id is None or target.requester_id is None:
        return None
    return source.requester_id if source.requester_id != target.requester_id else None


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return list(dict.fromkeys((*first, *second)))


def split(
    uow: TicketsUnit,
    actor: Actor,
    ticket_id: int,
    message_ids: Sequence[int],
    new_subject: str | None = None,
) -> Split:
    """Move the chosen messages to a new ticket that inherits the source's settings.

    The new ticket is a ticket created by the actor, and its events say so as a created
    ticket's do: `ticket.opened` (with `split_from` and `split_from_number`: the source), its
    labels and tags, and the move from `new` to the source's status. Triggers on
    `ticket.opened`, SLA clocks, reports, notifications and webhooks see a new ticket.
    """
    source = get_ticket(uow, actor, ticket_id, lock=True)
    if source.merged_into_id is not None:
        raise Conflict("ticket_merged", f"Ticket {source.id} was merged into another ticket")
    chosen = _chosen(uow, actor, source, message_ids)
    now = now_ms()
    subject = checked_text(new_subject or source.subject, "newSubject", MAX_SUBJECT, required=True)
    new_ticket = _open_split(uow, actor, source, subject, now)
    moved = uow.tickets.move_messages(chosen, new_ticket.id)
    uow.tickets.add_link(source.id, new_ticket.id)
    uow.tickets.add_link(new_ticket.id, source.id)
    log(uow, actor, source, f"{moved} messages were split into ticket #{new_ticket.number}", now)
    log(uow, actor, new_ticket, f"Split from ticket #{source.number}", now)
    events.record(
        uow,
        actor,
        events.SPLIT,
        now,
        ticket_id=source.id,
        new_ticket_id=new_ticket.id,
        moved=moved,
    )
    new_ticket = _inherit(uow, actor, source, new_ticket, now)
    source = uow.tickets.update_ticket(source.id, {"updated": now, "latest_activity": now})
    return Split(source, uow.tickets.update_ticket(new_ticket.id, {"updated": now}), moved)


def _open_split(uow: TicketsUnit, actor: Actor, source: Ticket, subject: str, now: int) -> Ticket:
    """The split's new ticket, opened `new` as any ticket is (its status follows in `_inherit`)."""
    ticket = uow.tickets.insert_ticket(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "number": uow.tickets.next_ticket_number(actor.account_id),
            "subject": subject,
            "status": Status.NEW.value,
            "priority": source.priority.value,
            "category_id": source.category_id,
            "department_id": source.department_id,
            "inbox_id": source.inbox_id,
            "requester_id": source.requester_id,
            "notes": "",
            "force_closed": False,
            "created": now,
            "updated": now,
            "latest_activity": now,
        }
    )
    events.record(
        uow,
        actor,
        events.TICKET_OPENED,
        now,
        ticket_id=ticket.id,
        number=ticket.number,
        split_from=source.id,
        split_from_number=source.number,
    )
    return ticket


def _inherit(uow: TicketsUnit, actor: Actor, source: Ticket, ticket: Ticket, now: int) -> Ticket:
    """The source's labels, tags and status on the new ticket, each recorded as the same
    event a ticket opened with them records."""
    details = details_of(uow, source)
    if details.labels:
        ticket = write_words(
            uow, actor, ticket, "labels", list(details.labels), events.LABELS_SET, fresh=True
        )
    if details.tags:
        ticket = write_words(
            uow, actor, ticket, "tags", list(details.tags), events.TAGS_SET, fresh=True
        )
    moved = status_columns(ticket, source.status)
    if moved:
        record_status_change(uow, actor, ticket, source.status, now, reason="split")
        ticket = uow.tickets.update_ticket(ticket.id, moved)
    return ticket


def _chosen(
    uow: TicketsUnit, actor: Actor, source: Ticket, message_ids: Sequence[int]
) -> list[int]:
    wanted = sorted(set(message_ids))
    if not wanted:
        raise Invalid("no_messages", "Choose at least one message to split", field="messageIds")
    found = {message.id: message for message in uow.tickets.get_messages(actor.account_id, wanted)}
    for message_id in wanted:
        message = found.get(message_id)
        if message is None:
            raise NotFound("message_not_found", f"No message {message_id}", field="messageIds")
        if message.ticket_id != source.id:
            raise Invalid(
                "not_on_ticket", f"Message {message_id} is not on this ticket", field="messageIds"
            )
    # Log lines do not count: a ticket left with nothing but the system's notes is empty.
    conversation = {
        m.id for m in uow.tickets.list_messages(source.id) if m.kind is not MessageKind.LOG
    }
    if conversation <= set(wanted):
        raise Invalid(
            "split_all", "Splitting every message would leave the ticket empty", field="messageIds"
        )
    return wanted
