"""The ticket page of the web app: everything an agent reads about one ticket, in one call.

Read in a fixed number of statements: the thread (messages, attachments, details), the
requester and their other tickets, linked tickets, the account's inboxes, the
custom field definitions, each message's outgoing mail (queued, sent, failed), and
whether the customer wrote since this agent last read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Inbox
from frontdesk.core.mail import replies
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import Thread, custom_fields, queues
from frontdesk.core.tickets.records import CustomField, MessageKind, Ticket

OTHER_TICKETS = 6


@dataclass(frozen=True)
class Desk:
    thread: Thread
    requester: Contact | None
    other_tickets: list[Ticket]  # the requester's latest other tickets
    linked: list[Ticket]
    merged_into: Ticket | None
    inboxes: Mapping[int, Inbox]
    field_names: list[CustomField]  # the account's custom fields, with their types
    mail: Mapping[int, OutboxMail]  # message id -> its outgoing mail (the latest row)
    unread: bool
    last_customer_message: int  # created time of the newest customer message (0: none)
    reply_cc: tuple[str, ...] = ()  # whom a reply copies by default (reply to all)


def ticket_desk(uow: MailUnit, actor: Actor, ticket_id: int) -> Desk:
    thread = tickets.load_thread(uow, actor, ticket_id)
    ticket = thread.ticket
    requester = (
        contacts.find_contact(uow, actor.account_id, ticket.requester_id)
        if ticket.requester_id
        else None
    )
    others = (
        uow.listing.latest_of_requester(actor.account_id, ticket.requester_id, OTHER_TICKETS + 1)
        if ticket.requester_id
        else []
    )
    related = uow.tickets.get_tickets(
        actor.account_id,
        [*thread.details.linked_ids, *([ticket.merged_into_id] if ticket.merged_into_id else [])],
    )
    mail: dict[int, OutboxMail] = {}
    for row in uow.mail.list_outbox(actor.account_id, ticket_id=ticket.id, status=None, limit=500):
        if row.message_id is not None:
            mail.setdefault(row.message_id, row)  # newest first: keep the latest
    read_at = (
        uow.reads.read_times(actor.agent_id, [ticket.id]).get(ticket.id) if actor.agent_id else None
    )
    customer = [
        m.created
        for m in thread.messages
        if m.kind is MessageKind.EXTERNAL and m.contact_id is not None
    ]
    return Desk(
        thread=thread,
        requester=requester,
        other_tickets=[other for other in others if other.id != ticket.id][:OTHER_TICKETS],
        linked=[related[i] for i in thread.details.linked_ids if i in related],
        merged_into=related.get(ticket.merged_into_id) if ticket.merged_into_id else None,
        inboxes={inbox.id: inbox for inbox in accounts.list_inboxes(uow, actor)},
        field_names=custom_fields.list_fields(uow, actor),
        mail=mail,
        unread=queues.is_unread(ticket, read_at),
        last_customer_message=max(customer, default=0),
        reply_cc=replies.reply_all_cc_of(uow, thread.messages, requester),
    )
