"""The team writes on a ticket: a reply, e-mailed to the customer if asked, or a private note.

The message and its outgoing mail are written in one transaction (core.outbox queues the
mail; the mail channel delivers it after commit), so a reply is never stored unsent-but-
marked-sent, nor sent without being stored. Internal notes are never e-mailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from frontdesk.core import contacts, tickets
from frontdesk.core.mail import outbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared.addresses import normalise_addresses
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, refs
from frontdesk.core.tickets.records import Message, MessageKind

MAX_RECIPIENTS = 50


@dataclass(frozen=True)
class TeamMessage:
    body_text: str
    body_html: str | None = None
    internal: bool = False
    send_email: bool = False
    to: tuple[str, ...] = ()  # the requester when empty
    cc: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()  # UUIDs of uploads to this same ticket


class NotMailed(StrEnum):
    """Why a message asked to be e-mailed was stored without being sent."""

    INTERNAL = "internal_note"  # notes are never e-mailed
    NO_RECIPIENT = "no_recipient"  # no toAddresses, and the ticket has no requester


@dataclass(frozen=True)
class Posted:
    message: Message
    emailed: bool  # an e-mail was queued in the outbox with the message
    not_emailed: NotMailed | None = None  # set when sending was asked and did not happen


def post(uow: MailUnit, actor: Actor, ticket_id: int, new: TeamMessage) -> Posted:
    """Store the message; queue it as e-mail when asked and it is not an internal note.

    Asked to e-mail a ticket that has no requester, with no toAddresses either (a ticket
    made as the InboxOps spec's own example makes it), the reply is stored and not sent,
    and `Posted.not_emailed` says why: refusing the reply would lose what the agent wrote.
    """
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    to = _addresses(new.to, "toAddresses")
    cc = _addresses(new.cc, "ccAddresses")
    mailing = new.send_email and not new.internal
    not_emailed = NotMailed.INTERNAL if new.send_email and new.internal else None
    if mailing and not to:
        to = _requester_address(uow, actor, ticket.requester_id)
        if not to:
            mailing, not_emailed = False, NotMailed.NO_RECIPIENT
    uploads = refs.attachments(
        uow, actor, new.attachments, ticket_id=ticket.id, field="attachmentIds"
    )
    message = tickets.add_message(
        uow,
        actor,
        ticket.id,
        NewMessage(
            body_text=new.body_text,
            body_html=new.body_html,
            kind=MessageKind.INTERNAL if new.internal else MessageKind.EXTERNAL,
            to=to if mailing else (),
            cc=cc if mailing else (),
            attachment_ids=tuple(upload.id for upload in uploads),
            by_team=True,
        ),
    )
    if mailing:
        current = tickets.get_ticket(uow, actor, ticket.id)
        outbox.queue_reply(uow, actor, current, message, to=list(to), cc=list(cc))
    return Posted(message, emailed=mailing, not_emailed=not_emailed)


def _addresses(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(values) > MAX_RECIPIENTS:
        raise Invalid("too_many", f"{field} has more than {MAX_RECIPIENTS} addresses", field=field)
    return tuple(dict.fromkeys(normalise_addresses(values, field=field)))


def _requester_address(uow: MailUnit, actor: Actor, requester_id: int | None) -> tuple[str, ...]:
    requester = contacts.find_contact(uow, actor.account_id, requester_id) if requester_id else None
    return (requester.email,) if requester is not None else ()
