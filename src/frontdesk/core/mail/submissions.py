"""Tickets submitted through an API on a customer's behalf, as if mailed to an inbox.

No mail-flow rules run on a submission: everything it should do (labels, status,
assignees, the auto reply) is in the submission itself. Every check that can fail runs
before the first write, so a refused submission leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core import tickets
from frontdesk.core.identity.accounts import find_agent_by_email, inbox_by_address
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.core.mail import outbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.ports import BlobStore
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, NewTicket, Opened, attachments
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import MessageKind, Status, Ticket


@dataclass(frozen=True)
class Submission:
    from_email: str
    to_email: str  # one of the account's inbox addresses
    subject: str
    body_text: str | None = None
    body_html: str | None = None
    from_name: str | None = None
    kind: MessageKind = MessageKind.EXTERNAL
    status: Status | None = None
    labels: tuple[str, ...] = ()
    assignee_emails: tuple[str, ...] = ()
    files: tuple[Upload, ...] = ()
    ticket_id: int | None = None  # append to this ticket instead of opening one
    append_to_open: bool = True
    auto_reply: bool = True


@dataclass(frozen=True)
class Submitted:
    opened: Opened
    auto_reply_queued: bool


def submit(
    uow: MailUnit, blobs: BlobStore, actor: Actor, item: Submission, *, file_limit: int
) -> Submitted:
    if item.kind is MessageKind.LOG:
        raise Invalid(
            "invalid_kind", "A submission is an external message or a note", field="messageType"
        )
    sender = normalise_address(item.from_email, field="fromEmail")
    inbox = inbox_by_address(uow, actor, item.to_email)
    target = _target(uow, actor, item.ticket_id)
    working_inbox = target.inbox_id if target and target.inbox_id else inbox.id
    agents = [_agent_of_inbox(uow, actor, email, working_inbox) for email in item.assignee_emails]
    uploads = [attachments.upload(uow, blobs, actor, file, file_limit) for file in item.files]
    new = NewTicket(
        subject=item.subject,
        message=NewMessage(
            body_text=item.body_text,
            body_html=item.body_html,
            kind=item.kind,
            from_email=sender,
            from_name=item.from_name,
            # The message came in to that inbox: it is also what lists of e-mails show.
            to=(inbox.email,) if item.kind is MessageKind.EXTERNAL else (),
            attachment_ids=tuple(upload.id for upload in uploads),
        ),
        requester_email=sender,
        requester_name=item.from_name,
        inbox_id=inbox.id,
        status=item.status,
        labels=item.labels,
        assignee_ids=tuple(agent.id for agent in agents),
        append_to_open=item.append_to_open,
    )
    if target is not None:
        opened = tickets.append(uow, actor, target.id, new)
    else:
        opened = tickets.open_ticket(uow, actor, new)
    queued = _auto_reply(uow, actor, item, opened, inbox)
    return Submitted(opened, queued)


def _target(uow: MailUnit, actor: Actor, ticket_id: int | None) -> Ticket | None:
    if ticket_id is None:
        return None
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    if ticket.merged_into_id is not None:  # checked here too, before any file is stored
        raise Conflict(
            "ticket_merged", f"Ticket {ticket.id} was merged into {ticket.merged_into_id}"
        )
    return ticket


def _agent_of_inbox(uow: MailUnit, actor: Actor, email: str, inbox_id: int) -> Agent:
    try:
        agent = find_agent_by_email(uow, actor, email)
    except NotFound as exc:  # named as the submission names it
        raise NotFound(exc.code, exc.message, field="assignAgents") from None
    if inbox_id not in agent.inbox_ids:
        raise Invalid(
            "agent_without_inbox",
            f"Agent {agent.email} has no access to the ticket's inbox",
            field="assignAgents",
        )
    return agent


def _auto_reply(
    uow: MailUnit, actor: Actor, item: Submission, opened: Opened, inbox: Inbox
) -> bool:
    """Only a new ticket opened by the customer's own message gets the inbox's auto reply."""
    if opened.appended or not item.auto_reply or item.kind is not MessageKind.EXTERNAL:
        return False
    to = opened.message.from_email
    return to is not None and outbox.queue_auto_reply(uow, actor, opened.ticket, inbox, to)
