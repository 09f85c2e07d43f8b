"""Tickets and their messages: every change is one named function that records its event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from frontdesk.core import events
from frontdesk.core.accounts import ContactFields, find_or_create_contact, get_inbox, get_named
from frontdesk.core.addresses import normalise_addresses
from frontdesk.core.clock import now_ms
from frontdesk.core.errors import Conflict, Invalid, NotFound
from frontdesk.core.html import bodies
from frontdesk.core.models import (
    Actor,
    Attachment,
    Contact,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketDetails,
)
from frontdesk.core.ports import Repo

MAX_SUBJECT = 1000
MAX_BODY = 1_000_000
MAX_NAME = 200


@dataclass(frozen=True)
class NewMessage:
    """A message as a caller describes it. `agent_id` set means an agent wrote it."""

    body_text: str | None = None
    body_html: str | None = None
    kind: MessageKind = MessageKind.EXTERNAL
    agent_id: int | None = None
    from_email: str | None = None
    from_name: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    email_message_id: str | None = None
    attachment_ids: tuple[int, ...] = ()
    created: int | None = None  # imports keep the original time; None means now
    # Written by the account's team with no agent named (an API key acting for the
    # workspace, as InboxOps clients do): agent-side, never the requester's words.
    by_team: bool = False


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


@dataclass(frozen=True)
class Thread:
    """A ticket with everything a detail view shows, loaded in a fixed number of queries."""

    ticket: Ticket
    details: TicketDetails
    messages: list[Message]
    attachments: Mapping[int, list[Attachment]]


# -- reading ---------------------------------------------------------------------------------


def visible(ticket: Ticket | None, actor: Actor) -> bool:
    """A customer sees only their own tickets; everyone else, the whole account."""
    if ticket is None or ticket.account_id != actor.account_id:
        return False
    return actor.contact_id is None or ticket.requester_id == actor.contact_id


def get_ticket(repo: Repo, actor: Actor, ticket_id: int, *, lock: bool = False) -> Ticket:
    ticket = repo.get_ticket(actor.account_id, ticket_id, lock=lock)
    if ticket is None or not visible(ticket, actor):
        raise NotFound("ticket_not_found", f"No ticket {ticket_id}")
    return ticket


def get_ticket_by_uuid(repo: Repo, actor: Actor, ticket_uuid: str) -> Ticket:
    ticket = repo.get_ticket_by_uuid(actor.account_id, ticket_uuid)
    if ticket is None or not visible(ticket, actor):
        raise NotFound("ticket_not_found", f"No ticket {ticket_uuid[:40]}")
    return ticket


def details_of(repo: Repo, ticket: Ticket) -> TicketDetails:
    """One ticket's labels, tags, assignees, links and custom fields."""
    return repo.ticket_details([ticket.id])[ticket.id]


def load_thread(repo: Repo, actor: Actor, ticket_id: int) -> Thread:
    ticket = get_ticket(repo, actor, ticket_id)
    messages = repo.list_messages(ticket.id)
    return Thread(
        ticket=ticket,
        details=details_of(repo, ticket),
        messages=messages,
        attachments=repo.attachments_of_messages([message.id for message in messages]),
    )


def thread_of_opened(repo: Repo, actor: Actor, new: NewTicket, opened: Opened) -> Thread:
    """The thread of what `open_ticket` returned for `new`, read only where memory falls short.

    A new ticket's thread is its one message (assigning also writes a log line into it), its
    details are known when `opened.details` is set, and its attachments are those coupled to
    the first message. A message appended to an open ticket is read as any thread is.
    """
    if opened.appended:
        return load_thread(repo, actor, opened.ticket.id)
    ticket = opened.ticket
    messages = repo.list_messages(ticket.id) if new.assignee_ids else [opened.message]
    details = opened.details if opened.details is not None else details_of(repo, ticket)
    coupled = bool(new.message.attachment_ids)
    return Thread(
        ticket=ticket,
        details=details,
        messages=messages,
        attachments=repo.attachments_of_messages([m.id for m in messages]) if coupled else {},
    )


def _live(repo: Repo, actor: Actor, ticket_id: int, *, lock: bool = False) -> Ticket:
    """A ticket that may still change: merged tickets are frozen."""
    ticket = get_ticket(repo, actor, ticket_id, lock=lock)
    if ticket.merged_into_id is not None:
        raise Conflict(
            "ticket_merged", f"Ticket {ticket.id} was merged into {ticket.merged_into_id}"
        )
    return ticket


# -- opening and writing -----------------------------------------------------------------------


def open_ticket(repo: Repo, actor: Actor, new: NewTicket) -> Opened:
    """A new ticket with its first message, or the message added to the sender's open ticket.

    The new ticket is carried along in memory from its INSERT (each write RETURNS the row)
    rather than read back after every step: a create is the hottest write there is.
    """
    subject = _text(new.subject, "subject", MAX_SUBJECT, required=True)
    requester = _requester(repo, actor, new.requester_email, new.requester_name)
    requester_id = requester.id if requester is not None else actor.contact_id
    inbox_id = get_inbox(repo, actor, new.inbox_id).id if new.inbox_id is not None else None
    if new.append_to_open and requester_id is not None:
        existing = repo.find_open_ticket(actor.account_id, requester_id, inbox_id)
        if existing is not None:
            return append(repo, actor, existing.id, new)
    _check_refs(repo, actor, new)
    now = now_ms() if new.message.created is None else new.message.created
    ticket = repo.insert_ticket(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "number": repo.next_ticket_number(actor.account_id),
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
    events.record(repo, actor, events.TICKET_OPENED, now, ticket_id=ticket.id, number=ticket.number)
    if not visible(ticket, actor):
        # A customer opening a ticket for someone else: refused as it always was, when the
        # first message looked the new ticket up (the transaction rolls back).
        raise NotFound("ticket_not_found", f"No ticket {ticket.id}")
    first = replace(new.message, created=now)
    message, ticket = _write_message(
        repo, actor, ticket, first, status=new.status, requester=requester
    )
    ticket = _apply_extras(repo, actor, ticket, new, fresh=True)
    return Opened(ticket, message, appended=False, details=_new_details(new))


def append(repo: Repo, actor: Actor, ticket_id: int, new: NewTicket) -> Opened:
    """Add a new ticket's message, labels, tags, assignees and fields to an existing ticket.

    The existing ticket keeps its subject, inbox and requester.
    """
    ticket = _live(repo, actor, ticket_id)
    message, ticket = _write_message(repo, actor, ticket, new.message, status=new.status)
    return Opened(_apply_extras(repo, actor, ticket, new), message, appended=True)


def _check_refs(repo: Repo, actor: Actor, new: NewTicket) -> None:
    if new.category_id is not None:
        get_named(repo, actor, "category", new.category_id)
    if new.department_id is not None:
        get_named(repo, actor, "department", new.department_id)


def _new_details(new: NewTicket) -> TicketDetails | None:
    """A new ticket's details as the database would list them, when that order is certain.

    Labels, tags and field names come back sorted by the database's collation, which Python
    does not reproduce for every backend: only one of each (or none) is certain. Assignee
    ids are integers, sorted the same everywhere.
    """
    labels, tags = _words(new.labels, "labels"), _words(new.tags, "tags")
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
    repo: Repo, actor: Actor, ticket: Ticket, new: NewTicket, *, fresh: bool = False
) -> Ticket:
    """Labels, tags, assignees and fields given at creation join what the ticket has.

    A `fresh` ticket, made in this transaction, has no details to read or clear. Each step
    starts from the ticket the previous one returned; the last is the ticket as it now is.
    """
    had = TicketDetails() if fresh else details_of(repo, ticket)
    if new.labels:
        labels = _words((*had.labels, *new.labels), "labels")
        ticket = _write_words(repo, actor, ticket, "labels", labels, events.LABELS_SET, fresh=fresh)
    if new.tags:
        tags = _words((*had.tags, *new.tags), "tags")
        ticket = _write_words(repo, actor, ticket, "tags", tags, events.TAGS_SET, fresh=fresh)
    if new.assignee_ids:
        wanted = (*had.assignee_ids, *new.assignee_ids)
        ticket = _assign(repo, actor, ticket, wanted, before=had.assignee_ids, fresh=fresh)
    if new.custom_fields:
        ticket = _write_fields(repo, actor, ticket, new.custom_fields)
    return ticket


def _requester(repo: Repo, actor: Actor, email: str | None, name: str | None) -> Contact | None:
    """The contact named by address, found or created; None means the actor's own contact."""
    if email:
        return find_or_create_contact(repo, actor, ContactFields(email=email, name=name or None))
    return None


def add_message(
    repo: Repo, actor: Actor, ticket_id: int, new: NewMessage, *, status: Status | None = None
) -> Message:
    """Append a message; the ticket's status follows who wrote it unless `status` is given."""
    ticket = _live(repo, actor, ticket_id)
    return _write_message(repo, actor, ticket, new, status=status)[0]


def _write_message(
    repo: Repo,
    actor: Actor,
    ticket: Ticket,
    new: NewMessage,
    *,
    status: Status | None = None,
    requester: Contact | None = None,
) -> tuple[Message, Ticket]:
    """`add_message` on a live ticket already in hand; `requester` is a contact already
    loaded in this transaction (saves looking it up again). Returns the updated ticket."""
    text, html = _message_bodies(new)
    sender = _sender(repo, actor, ticket, new, requester)
    customer_wrote = sender.contact_id is not None and new.kind is MessageKind.EXTERNAL
    if customer_wrote and ticket.force_closed:
        raise Conflict("force_closed", "This ticket was closed by an agent and takes no replies")
    now = now_ms() if new.created is None else new.created
    message = repo.insert_message(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "kind": new.kind.value,
            "agent_id": sender.agent_id,
            "contact_id": sender.contact_id,
            "from_email": sender.email,
            "from_name": sender.name,
            "to": normalise_addresses(new.to, field="to"),
            "cc": normalise_addresses(new.cc, field="cc"),
            "bcc": normalise_addresses(new.bcc, field="bcc"),
            "body_text": text,
            "body_html": html,
            "email_message_id": new.email_message_id,
            "created": now,
        }
    )
    _couple(repo, actor, ticket, message, new.attachment_ids)
    changes: dict[str, object] = {"updated": now, "latest_activity": now}
    new_status = status or _status_after(ticket, new, sender)
    if new_status is not ticket.status:
        changes["status"] = new_status.value
    if customer_wrote:
        changes["client_last_replied"] = now
    updated = repo.update_ticket(ticket.id, changes)
    events.record(
        repo,
        actor,
        events.MESSAGE_ADDED,
        now,
        ticket_id=ticket.id,
        message_id=message.id,
        kind=new.kind.value,
    )
    return message, updated


def _message_bodies(new: NewMessage) -> tuple[str, str]:
    if new.body_text is not None and len(new.body_text) > MAX_BODY:
        raise Invalid(
            "too_long", f"The message is longer than {MAX_BODY} characters", field="message"
        )
    if new.body_html is not None and len(new.body_html) > MAX_BODY:
        raise Invalid("too_long", f"The HTML is longer than {MAX_BODY} characters", field="message")
    if "\x00" in (new.body_text or "") or "\x00" in (new.body_html or ""):
        # PostgreSQL text cannot hold NUL: refuse it as input rather than fail at INSERT.
        raise Invalid("invalid_text", "The message contains a NUL character", field="message")
    text, html = bodies(new.body_text, new.body_html)
    if not text.strip() and not new.attachment_ids:
        raise Invalid("required", "The message must not be empty", field="message")
    return text, html


@dataclass(frozen=True)
class _Sender:
    agent_id: int | None
    contact_id: int | None
    email: str | None
    name: str | None


def _sender(
    repo: Repo, actor: Actor, ticket: Ticket, new: NewMessage, known: Contact | None = None
) -> _Sender:
    """Who wrote the message: an agent, else a contact (the given address or the requester)."""
    name = _text(new.from_name or "", "fromName", MAX_NAME) or None
    agent_id = new.agent_id if new.agent_id is not None else actor.agent_id
    if agent_id is not None:
        agent = repo.get_agent(actor.account_id, agent_id)
        if agent is None:
            raise NotFound("agent_not_found", f"No agent {agent_id}")
        return _Sender(agent.id, None, agent.email, name or agent.name)
    if new.kind is MessageKind.LOG or (new.by_team and actor.contact_id is None):
        return _Sender(None, None, None, name)
    if new.from_email:
        contact = find_or_create_contact(
            repo, actor, ContactFields(email=new.from_email, name=name)
        )
        return _Sender(None, contact.id, contact.email, name or contact.name)
    contact_id = actor.contact_id or ticket.requester_id
    if known is not None and known.id == contact_id:
        requester: Contact | None = known
    else:
        requester = repo.get_contact(actor.account_id, contact_id) if contact_id else None
    if requester is None:
        return _Sender(None, None, None, name)
    return _Sender(None, requester.id, requester.email, name or requester.name)


def _status_after(ticket: Ticket, new: NewMessage, sender: _Sender) -> Status:
    """An agent's answer awaits the customer; a customer's awaits an agent; else no change."""
    if new.kind is not MessageKind.EXTERNAL:
        return ticket.status
    if sender.agent_id is not None or (new.by_team and sender.contact_id is None):
        return Status.PENDING
    if sender.contact_id is None:
        return ticket.status
    return Status.NEW if ticket.status is Status.NEW else Status.REPLY


def _couple(
    repo: Repo, actor: Actor, ticket: Ticket, message: Message, attachment_ids: Sequence[int]
) -> None:
    """Attach uploads to a message: they must be this account's, unattached, and fit the ticket."""
    if not attachment_ids:
        return
    wanted = set(attachment_ids)
    found = {a.id: a for a in repo.get_attachments(actor.account_id, sorted(wanted))}
    for attachment_id in sorted(wanted):
        attachment = found.get(attachment_id)
        if attachment is None or not _may_couple(attachment, actor, ticket):
            raise NotFound(
                "attachment_not_found", f"No attachment {attachment_id}", field="attachmentIds"
            )
        if attachment.message_id is not None:
            raise Conflict(
                "attachment_in_use", f"Attachment {attachment_id} is already on a message"
            )
    repo.couple_attachments(sorted(wanted), ticket.id, message.id)


def _may_couple(attachment: Attachment, actor: Actor, ticket: Ticket) -> bool:
    if attachment.ticket_id is not None and attachment.ticket_id != ticket.id:
        return False
    return actor.contact_id is None or attachment.contact_id == actor.contact_id


def log(repo: Repo, actor: Actor, ticket: Ticket, text: str, now: int) -> Message:
    """A system line in the ticket's thread, written alongside the change it describes."""
    return repo.insert_message(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "kind": MessageKind.LOG.value,
            "agent_id": actor.agent_id,
            "contact_id": None,
            "from_email": None,
            "from_name": None,
            "body_text": text,
            "body_html": bodies(text, None)[1],
            "email_message_id": None,
            "created": now,
        }
    )


# -- status ------------------------------------------------------------------------------------


def set_status(
    repo: Repo,
    actor: Actor,
    ticket_id: int,
    status: Status,
    *,
    reason: str | None = None,
    force: bool = False,
) -> Ticket:
    """Move a ticket in the lifecycle; `force` closes it so that the customer cannot reopen it."""
    ticket = _live(repo, actor, ticket_id, lock=True)
    status = Status(status)
    if ticket.force_closed and status is not Status.CLOSED and actor.contact_id is not None:
        raise Conflict("force_closed", "This ticket was closed by an agent and cannot be reopened")
    force_closed = status is Status.CLOSED and (force or ticket.force_closed)
    if status is ticket.status and force_closed == ticket.force_closed:
        return ticket
    now = now_ms()
    line = f"Status changed from {ticket.status.value} to {status.value}"
    if reason:
        line += f". Reason: {_text(reason, 'reason', 2000)}"
    log(repo, actor, ticket, line, now)
    updated = repo.update_ticket(
        ticket.id,
        {
            "status": status.value,
            "force_closed": force_closed,
            "updated": now,
            "latest_activity": now,
        },
    )
    events.record(
        repo, actor, events.STATUS_CHANGED, now, ticket_id=ticket.id,
        before=ticket.status.value, after=status.value, reason=reason,
    )  # fmt: skip
    return updated


# -- assignment, labels, tags, fields, notes, priority, links -----------------------------------


def assign(repo: Repo, actor: Actor, ticket_id: int, agent_ids: Iterable[int]) -> Ticket:
    """Make exactly these agents the ticket's assignees (empty unassigns everyone)."""
    ticket = _live(repo, actor, ticket_id)
    return _assign(repo, actor, ticket, agent_ids)


def _assign(
    repo: Repo,
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
    agents = repo.get_agents(actor.account_id, wanted)
    for agent_id in wanted:
        if agent_id not in agents:
            raise NotFound("agent_not_found", f"No agent {agent_id}", field="assignee")
    if before is None:
        before = details_of(repo, ticket).assignee_ids
    if tuple(wanted) == tuple(sorted(before)):
        return ticket
    now = now_ms()
    repo.replace_values("assignees", ticket.id, wanted, fresh=fresh)
    names = ", ".join(agents[agent_id].name for agent_id in wanted) or "nobody"
    log(repo, actor, ticket, f"Assigned to {names}", now)
    events.record(repo, actor, events.ASSIGNED, now, ticket_id=ticket.id, agent_ids=wanted)
    return repo.update_ticket(ticket.id, {"updated": now, "latest_activity": now})


def _words(values: Iterable[str], what: str) -> list[str]:
    """Trimmed, de-duplicated, in first-seen order; empty and over-long values refused."""
    seen: dict[str, None] = {}
    for value in values:
        word = _text(value, what, MAX_NAME, required=True)
        seen.setdefault(word, None)
    return list(seen)


def set_labels(repo: Repo, actor: Actor, ticket_id: int, labels: Iterable[str]) -> Ticket:
    return _replace_words(repo, actor, ticket_id, "labels", labels, events.LABELS_SET)


def set_tags(repo: Repo, actor: Actor, ticket_id: int, tags: Iterable[str]) -> Ticket:
    return _replace_words(repo, actor, ticket_id, "tags", tags, events.TAGS_SET)


def _replace_words(
    repo: Repo, actor: Actor, ticket_id: int, what: str, values: Iterable[str], kind: str
) -> Ticket:
    ticket = _live(repo, actor, ticket_id)
    return _write_words(repo, actor, ticket, what, _words(values, what), kind)


def _write_words(
    repo: Repo,
    actor: Actor,
    ticket: Ticket,
    what: str,
    words: list[str],
    kind: str,
    *,
    fresh: bool = False,
) -> Ticket:
    now = now_ms()
    repo.replace_values(what, ticket.id, words, fresh=fresh)
    events.record(repo, actor, kind, now, ticket_id=ticket.id, values=words)
    return repo.update_ticket(ticket.id, {"updated": now})


def set_custom_fields(
    repo: Repo, actor: Actor, ticket_id: int, values: Mapping[str, str | None]
) -> Ticket:
    """Set values by field name; the names must be defined for the account. None clears."""
    return _write_fields(repo, actor, _live(repo, actor, ticket_id), values)


def _write_fields(
    repo: Repo, actor: Actor, ticket: Ticket, values: Mapping[str, str | None]
) -> Ticket:
    by_id: dict[int, str | None] = {}
    for name, value in values.items():
        definition = repo.find_named("custom_field", actor.account_id, name.strip())
        if definition is None:
            raise Invalid(
                "unknown_field", f"No custom field named {name[:80]!r}", field="customFields"
            )
        by_id[definition.id] = None if value is None else _text(value, name, 10_000)
    now = now_ms()
    repo.set_field_values(ticket.id, by_id)
    events.record(repo, actor, events.FIELDS_SET, now, ticket_id=ticket.id, names=sorted(values))
    return repo.update_ticket(ticket.id, {"updated": now})


def set_notes(repo: Repo, actor: Actor, ticket_id: int, notes: str) -> Ticket:
    ticket = _live(repo, actor, ticket_id)
    now = now_ms()
    events.record(repo, actor, events.NOTES_SET, now, ticket_id=ticket.id)
    return repo.update_ticket(ticket.id, {"notes": _text(notes, "notes", 100_000), "updated": now})


def set_priority(repo: Repo, actor: Actor, ticket_id: int, priority: Priority) -> Ticket:
    ticket = _live(repo, actor, ticket_id)
    priority = Priority(priority)
    if priority is ticket.priority:
        return ticket
    now = now_ms()
    events.record(
        repo, actor, events.PRIORITY_SET, now, ticket_id=ticket.id, priority=priority.value
    )
    return repo.update_ticket(ticket.id, {"priority": priority.value, "updated": now})


def set_subject(repo: Repo, actor: Actor, ticket_id: int, subject: str) -> Ticket:
    ticket = _live(repo, actor, ticket_id)
    now = now_ms()
    events.record(repo, actor, "ticket.subject_set", now, ticket_id=ticket.id)
    return repo.update_ticket(
        ticket.id,
        {"subject": _text(subject, "subject", MAX_SUBJECT, required=True), "updated": now},
    )


def link(repo: Repo, actor: Actor, ticket_id: int, other_id: int) -> Ticket:
    """Link two tickets of the same account, both ways."""
    ticket = get_ticket(repo, actor, ticket_id)
    other = get_ticket(repo, actor, other_id)
    if ticket.id == other.id:
        raise Invalid("link_to_self", "A ticket cannot be linked to itself", field="ticketId")
    now = now_ms()
    repo.add_link(ticket.id, other.id)
    repo.add_link(other.id, ticket.id)
    events.record(repo, actor, events.LINKED, now, ticket_id=ticket.id, other_id=other.id)
    repo.update_ticket(other.id, {"updated": now})
    return repo.update_ticket(ticket.id, {"updated": now})


# -- archive and client reads ---------------------------------------------------------------------


def archive(repo: Repo, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(repo, actor, ticket_id)
    if ticket.archived_at is not None:
        return ticket
    now = now_ms()
    events.record(repo, actor, events.ARCHIVED, now, ticket_id=ticket.id)
    return repo.update_ticket(ticket.id, {"archived_at": now, "updated": now})


def unarchive(repo: Repo, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(repo, actor, ticket_id)
    if ticket.archived_at is None:
        return ticket
    now = now_ms()
    events.record(repo, actor, events.UNARCHIVED, now, ticket_id=ticket.id)
    return repo.update_ticket(ticket.id, {"archived_at": None, "updated": now})


def mark_read_by_client(repo: Repo, actor: Actor, ticket_id: int) -> Ticket:
    ticket = get_ticket(repo, actor, ticket_id)
    now = now_ms()
    events.record(repo, actor, events.READ_BY_CLIENT, now, ticket_id=ticket.id)
    return repo.update_ticket(ticket.id, {"client_last_read": now, "updated": now})


# -- small shared checks ------------------------------------------------------------------


def _text(value: str, what: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid("required", f"{what} must not be empty", field=what)
    if len(value) > limit:
        raise Invalid("too_long", f"{what} is longer than {limit} characters", field=what)
    if "\x00" in value:
        raise Invalid("invalid_text", f"{what} contains a NUL character", field=what)
    return value
