"""Messages on a ticket: who wrote them, what they do to its status, their files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.contacts import ContactFields, find_contact, find_or_create_contact
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import accounts
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_addresses
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.html import bodies
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import check_text
from frontdesk.core.tickets._checks import MAX_BODY, MAX_NAME, checked_text
from frontdesk.core.tickets._lookup import live_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    Attachment,
    Message,
    MessageKind,
    Status,
    Ticket,
)


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
    # Mail whose From address the receiving side could not verify (mail/senders.py).
    unverified: bool = False


def add_message(
    uow: TicketsUnit, actor: Actor, ticket_id: int, new: NewMessage, *, status: Status | None = None
) -> Message:
    """Append a message; the ticket's status follows who wrote it unless `status` is given.

    A given status ("send and set solved") is a status change like any other: it goes
    through `change_status` after the message, so that it has its log line and its
    `ticket.status_changed` event (triggers, webhooks, reports and CSAT react to that).
    """
    ticket = live_ticket(uow, actor, ticket_id)
    if status is None:
        return write_message(uow, actor, ticket, new)[0]
    message, updated = write_message(uow, actor, ticket, new, status=ticket.status)
    change_status(uow, actor, updated, status)
    return message


def write_message(
    uow: TicketsUnit,
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
    sender = _sender(uow, actor, ticket, new, requester)
    customer_wrote = sender.contact_id is not None and new.kind is MessageKind.EXTERNAL
    if customer_wrote and ticket.force_closed:
        raise Conflict("force_closed", "This ticket was closed by an agent and takes no replies")
    now = now_ms() if new.created is None else new.created
    message = uow.tickets.insert_message(
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
            "unverified": new.unverified,
            "created": now,
        }
    )
    _couple(uow, actor, ticket, message, new.attachment_ids)
    new_status = status or _status_after(ticket, new, sender)
    # The status a message moves the ticket to rides on the message's own UPDATE, but is
    # recorded as the same event an explicit change records (triggers, SLA clocks, reports).
    moved = status_columns(ticket, new_status)
    changes: dict[str, object] = {"updated": now, "latest_activity": now, **moved}
    if customer_wrote:
        changes["client_last_replied"] = now
    updated = uow.tickets.update_ticket(ticket.id, changes)
    events.record(
        uow,
        actor,
        events.MESSAGE_ADDED,
        now,
        ticket_id=ticket.id,
        message_id=message.id,
        kind=new.kind.value,
    )
    if moved:
        record_status_change(uow, actor, ticket, new_status, now, message_id=message.id)
    return message, updated


def _message_bodies(new: NewMessage) -> tuple[str, str]:
    if new.body_text is not None and len(new.body_text) > MAX_BODY:
        raise Invalid(
            "too_long", f"The message is longer than {MAX_BODY} characters", field="message"
        )
    if new.body_html is not None and len(new.body_html) > MAX_BODY:
        raise Invalid("too_long", f"The HTML is longer than {MAX_BODY} characters", field="message")
    check_text(new.body_text or "", "message")
    check_text(new.body_html or "", "message")
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
    uow: TicketsUnit, actor: Actor, ticket: Ticket, new: NewMessage, known: Contact | None = None
) -> _Sender:
    """Who wrote the message: an agent, else a contact (the given address or the requester)."""
    name = checked_text(new.from_name or "", "fromName", MAX_NAME) or None
    agent_id = new.agent_id if new.agent_id is not None else actor.agent_id
    if agent_id is not None:
        agent = accounts.find_agent(uow, actor.account_id, agent_id)
        if agent is None:
            raise NotFound("agent_not_found", f"No agent {agent_id}")
        return _Sender(agent.id, None, agent.email, name or agent.name)
    if new.kind is MessageKind.LOG or (new.by_team and actor.contact_id is None):
        return _Sender(None, None, None, name)
    if new.from_email:
        contact = find_or_create_contact(uow, actor, ContactFields(email=new.from_email, name=name))
        return _Sender(None, contact.id, contact.email, name or contact.name)
    contact_id = actor.contact_id or ticket.requester_id
    if known is not None and known.id == contact_id:
        requester: Contact | None = known
    else:
        requester = find_contact(uow, actor.account_id, contact_id) if contact_id else None
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
    uow: TicketsUnit, actor: Actor, ticket: Ticket, message: Message, attachment_ids: Sequence[int]
) -> None:
    """Attach uploads to a message: they must be this account's, unattached, and fit the ticket."""
    if not attachment_ids:
        return
    wanted = set(attachment_ids)
    found = {a.id: a for a in uow.attachments.get_attachments(actor.account_id, sorted(wanted))}
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
    uow.attachments.couple_attachments(sorted(wanted), ticket.id, message.id)


def _may_couple(attachment: Attachment, actor: Actor, ticket: Ticket) -> bool:
    if attachment.ticket_id is not None and attachment.ticket_id != ticket.id:
        return False
    return actor.contact_id is None or attachment.contact_id == actor.contact_id


def record_sent_mail(
    uow: TicketsUnit,
    *,
    account_id: int,
    ticket_id: int,
    sender: tuple[str, str | None],
    recipients: tuple[Sequence[str], Sequence[str]],
    content: tuple[str, str],
    email_message_id: str | None,
    now: int,
) -> Message:
    """A mail sent on a ticket with no message behind it (an auto reply), written into the
    thread so that it shows what left and to whom. `sender` is (address, name),
    `recipients` (to, cc), `content` (text, sanitised HTML)."""
    (from_email, from_name), (to, cc), (text, html) = sender, recipients, content
    return uow.tickets.insert_message(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": account_id,
            "ticket_id": ticket_id,
            "kind": MessageKind.EXTERNAL.value,
            "agent_id": None,
            "contact_id": None,
            "from_email": from_email,
            "from_name": from_name,
            "to": to,
            "cc": cc,
            "body_text": text,
            "body_html": html,
            "email_message_id": email_message_id,
            "created": now,
        }
    )


def log(uow: TicketsUnit, actor: Actor, ticket: Ticket, text: str, now: int) -> Message:
    """A system line in the ticket's thread, written alongside the change it describes."""
    return uow.tickets.insert_message(
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


def change_status(
    uow: TicketsUnit,
    actor: Actor,
    ticket: Ticket,
    status: Status,
    *,
    reason: str | None = None,
    force: bool = False,
) -> Ticket:
    """The one way a ticket's status is set on request: a log line, the change and the
    `ticket.status_changed` event. `ticket` is live and locked in this transaction."""
    status = Status(status)
    if ticket.force_closed and status is not Status.CLOSED and actor.contact_id is not None:
        raise Conflict("force_closed", "This ticket was closed by an agent and cannot be reopened")
    moved = status_columns(ticket, status, force=force)
    if not moved:
        return ticket
    now = now_ms()
    line = f"Status changed from {ticket.status.value} to {status.value}"
    if reason:
        line += f". Reason: {checked_text(reason, 'reason', 2000)}"
    log(uow, actor, ticket, line, now)
    updated = uow.tickets.update_ticket(
        ticket.id, {**moved, "updated": now, "latest_activity": now}
    )
    record_status_change(uow, actor, ticket, status, now, reason=reason)
    return updated


def status_columns(ticket: Ticket, status: Status, *, force: bool = False) -> dict[str, object]:
    """The ticket's columns that moving it to `status` changes; empty when it stays.

    Only a close keeps (or, with `force`, sets) the agent's force-close: any other status
    clears it, whoever moved the ticket there.
    """
    force_closed = status is Status.CLOSED and (force or ticket.force_closed)
    if status is ticket.status and force_closed == ticket.force_closed:
        return {}
    return {"status": status.value, "force_closed": force_closed}


def record_status_change(
    uow: TicketsUnit,
    actor: Actor,
    ticket: Ticket,
    status: Status,
    now: int,
    *,
    reason: str | None = None,
    message_id: int | None = None,
) -> None:
    """The `ticket.status_changed` event of every status change, whatever caused it: an
    explicit change, or a message (`message_id`) such as a customer's reply reopening."""
    data: dict[str, object] = {
        "before": ticket.status.value, "after": status.value, "reason": reason,
    }  # fmt: skip
    if message_id is not None:
        data["message_id"] = message_id
    events.record(uow, actor, events.STATUS_CHANGED, now, ticket_id=ticket.id, **data)
