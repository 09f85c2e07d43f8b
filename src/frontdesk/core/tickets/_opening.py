"""Opening a ticket with its first message, or adding it to the sender's open one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from frontdesk.core.contacts import ContactFields, find_or_create_contact
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity.accounts import get_inbox
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets._changes import replace_assignees, write_fields, write_words
from frontdesk.core.tickets._checks import MAX_SUBJECT, checked_text, checked_words
from frontdesk.core.tickets._lookup import Thread, details_of, live_ticket, load_thread, visible
from frontdesk.core.tickets._messages import NewMessage, write_message
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    Message,
    Priority,
    Status,
    Ticket,
    TicketDetails,
)
from frontdesk.core.tickets.taxonomy import get_named


@dataclass(frozen=True)
class NewTicket:
    subject: str
    message: NewMessage
    requester_email: str | None = None
    requester_name: str | None = None
    inbox_id: int | None = None
    category_id: int | None = None
    department_id: int | None = None
    priority: Priority = Priority.NORMAL
    status: Status | None = None
    labels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    assignee_ids: tuple[int, ...] = ()
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    append_to_open: bool = False


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    message: Message
    appended: bool  # True when the message joined the sender's open ticket instead
    # A new ticket's labels, tags, assignees, links and fields when open_ticket knows them
    # without reading them back (None: read them, as for any ticket).
    details: TicketDetails | None = None


def thread_of_opened(uow: TicketsUnit, actor: Actor, new: NewTicket, opened: Opened) -> Thread:
    """The thread of what `open_ticket` returned for `new`, read only where memory falls short.

    A new ticket's thread is its one message (assigning also writes a log line into it), its
    details are known when `opened.details` is set, and its attachments are those coupled to
    the first message. A message appended to an open ticket is read as any thread is.
    """
    if opened.appended:
        return load_thread(uow, actor, opened.ticket.id)
    ticket = opened.ticket
    messages = uow.tickets.list_messages(ticket.id) if new.assignee_ids else [opened.message]
    details = opened.details if opened.details is not None else details_of(uow, ticket)
    coupled = bool(new.message.attachment_ids)
    return Thread(
        ticket=ticket,
        details=details,
        messages=messages,
        attachments=uow.attachments.attachments_of_messages([m.id for m in messages])
        if coupled
        else {},
    )


def open_ticket(uow: TicketsUnit, actor: Actor, new: NewTicket) -> Opened:
    """A new ticket with its first message, or the message added to the sender's open ticket.

    The new ticket is carried along in memory from its INSERT (each write RETURNS the row)
    rather than read back after every step: a create is the hottest write there is.
    """
    subject = checked_text(new.subject, "subject", MAX_SUBJECT, required=True)
    requester = _requester(uow, actor, new.requester_email, new.requester_name)
    requester_id = requester.id if requester is not None else actor.contact_id
    inbox_id = get_inbox(uow, actor, new.inbox_id).id if new.inbox_id is not None else None
    if new.append_to_open and requester_id is not None:
        existing = uow.tickets.find_open_ticket(actor.account_id, requester_id, inbox_id)
        if existing is not None:
            return append(uow, actor, existing.id, new)
    _check_refs(uow, actor, new)
    now = now_ms() if new.message.created is None else new.message.created
    ticket = uow.tickets.insert_ticket(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "number": uow.tickets.next_ticket_number(actor.account_id),
            "subject": subject,
            "status": Status.NEW.value,
            "priority": Priority(new.priority).value,
            "category_id": new.category_id,
            "department_id": new.department_id,
            "inbox_id": inbox_id,
            "requester_id": requester_id,
            "notes": new.notes,
            "force_closed": False,
            "created": now,
            "updated": now,
            "latest_activity": now,
        }
    )
    events.record(uow, actor, events.TICKET_OPENED, now, ticket_id=ticket.id, number=ticket.number)
    if not visible(ticket, actor):
        # A customer opening a ticket for someone else: refused as it always was, when the
        # first message looked the new ticket up (the transaction rolls back).
        raise NotFound("ticket_not_found", f"No ticket {ticket.id}")
    first = replace(new.message, created=now)
    message, ticket = write_message(
        uow, actor, ticket, first, status=new.status, requester=requester
    )
    ticket = _apply_extras(uow, actor, ticket, new, fresh=True)
    return Opened(ticket, message, appended=False, details=_new_details(new))


def append(uow: TicketsUnit, actor: Actor, ticket_id: int, new: NewTicket) -> Opened:
    """Add a new ticket's message, labels, tags, assignees and fields to an existing ticket.

    The existing ticket keeps its subject, inbox and requester.
    """
    ticket = live_ticket(uow, actor, ticket_id)
    message, ticket = write_message(uow, actor, ticket, new.message, status=new.status)
    return Opened(_apply_extras(uow, actor, ticket, new), message, appended=True)


def _check_refs(uow: TicketsUnit, actor: Actor, new: NewTicket) -> None:
    if new.category_id is not None:
        get_named(uow, actor, "category", new.category_id)
    if new.department_id is not None:
        get_named(uow, actor, "department", new.department_id)


def _new_details(new: NewTicket) -> TicketDetails | None:
    """A new ticket's details as the database would list them, when that order is certain.

    Labels, tags and field names come back sorted by the database's collation, which Python
    does not reproduce for every backend: only one of each (or none) is certain. Assignee
    ids are integers, sorted the same everywhere.
    """
    labels, tags = checked_words(new.labels, "labels"), checked_words(new.tags, "tags")
    if len(labels) > 1 or len(tags) > 1 or new.custom_fields:
        return None
    return TicketDetails(
        labels=tuple(labels),
        tags=tuple(tags),
        assignee_ids=tuple(sorted(set(new.assignee_ids))),
        linked_ids=(),
        custom_fields=(),
    )


def _apply_extras(
    uow: TicketsUnit, actor: Actor, ticket: Ticket, new: NewTicket, *, fresh: bool = False
) -> Ticket:
    """Labels, tags, assignees and fields given at creation join what the ticket has.

    A `fresh` ticket, made in this transaction, has no details to read or clear. Each step
    starts from the ticket the previous one returned; the last is the ticket as it now is.
    """
    had = TicketDetails() if fresh else details_of(uow, ticket)
    if new.labels:
        labels = checked_words((*had.labels, *new.labels), "labels")
        ticket = write_words(uow, actor, ticket, "labels", labels, events.LABELS_SET, fresh=fresh)
    if new.tags:
        tags = checked_words((*had.tags, *new.tags), "tags")
        ticket = write_words(uow, actor, ticket, "tags", tags, events.TAGS_SET, fresh=fresh)
    if new.assignee_ids:
        wanted = (*had.assignee_ids, *new.assignee_ids)
        ticket = replace_assignees(uow, actor, ticket, wanted, before=had.assignee_ids, fresh=fresh)
    if new.custom_fields:
        ticket = write_fields(uow, actor, ticket, new.custom_fields)
    return ticket


def _requester(
    uow: TicketsUnit, actor: Actor, email: str | None, name: str | None
) -> Contact | None:
    """The contact named by address, found or created; None means the actor's own contact."""
    if email:
        return find_or_create_contact(uow, actor, ContactFields(email=email, name=name or None))
    return None
