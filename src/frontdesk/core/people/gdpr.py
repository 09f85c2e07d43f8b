"""The GDPR duties: everything held about a contact, gathered for export; erasure.

Erasure reaches every row that holds the contact's address or words (their tickets, the
mail to and from them, their chats, their messages on other people's tickets, their
customer tokens, the event data of their tickets) and records itself without either.
Their tickets are deleted, or kept as anonymous records (numbers, statuses, dates, who
answered) with every text replaced, as the admin chooses. The transport removes the files
no row names any more after the commit (services.files).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from frontdesk.core import chat, contacts, mail, tickets
from frontdesk.core.chat.records import ChatMessage, Conversation
from frontdesk.core.contacts.records import Contact
from frontdesk.core.mail.records import MailReceipt
from frontdesk.core.people.ports import PeopleUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import Thread

PLACEHOLDER = "[erased]"
CONTACT_ERASED = "contact.erased"
CONTACT_EXPORTED = "contact.exported"


class ErasureMode(StrEnum):
    ANONYMISE = "anonymise"  # tickets stay as records without any text
    DELETE = "delete"  # tickets go, as DELETE /tickets/{id} deletes one


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything the account holds about one contact."""

    contact: Contact
    threads: list[Thread]  # the tickets they requested, with messages and attachments
    chats: list[tuple[Conversation, list[ChatMessage]]]
    # other people's tickets, each with only the messages the contact wrote or received
    elsewhere: list[Thread]
    mails: list[MailReceipt]  # the mail they sent in, whose raw bytes the blob store keeps


@dataclass(frozen=True, slots=True)
class Erased:
    contact_id: int
    mode: ErasureMode
    tickets: int
    chats: int
    stored_names: tuple[str, ...]  # files their rows named (attachments and raw mail)


def _admin_only(actor: Actor) -> None:
    if actor.contact_id is not None:
        raise Forbidden("customer_token", "A customer token cannot do this")


def gather(uow: PeopleUnit, actor: Actor, contact_id: int) -> Dossier:
    """The contact, their tickets' threads, their messages on other tickets, their chats'
    transcripts and the mail they sent; recorded."""
    _admin_only(actor)
    contact = contacts.get_contact(uow, actor, contact_id)
    ticket_ids = uow.people.requested_ticket_ids(actor.account_id, contact.id)
    threads = [tickets.load_thread(uow, actor, ticket_id) for ticket_id in ticket_ids]
    chats = [
        (conversation, chat.transcript(uow, conversation))
        for conversation in uow.chat.contact_chats(actor.account_id, contact.id, limit=10_000)
    ]
    mails = [
        mail.get_receipt(uow, actor, receipt_id)
        for receipt_id in uow.people.mail_from(actor.account_id, contact.email)
    ]
    events.record(uow, actor, CONTACT_EXPORTED, now_ms(), contact_id=contact.id)
    return Dossier(contact, threads, chats, _elsewhere(uow, actor, contact), mails)


def _elsewhere(uow: PeopleUnit, actor: Actor, contact: Contact) -> list[Thread]:
    """Tickets the contact did not request, cut down to the messages that are theirs."""
    wanted: dict[int, set[int]] = {}
    for ticket_id, message_id in uow.people.messages_naming(
        actor.account_id, contact.id, contact.email
    ):
        wanted.setdefault(ticket_id, set()).add(message_id)
    threads = []
    for ticket_id, ids in wanted.items():
        thread = tickets.load_thread(uow, actor, ticket_id)
        messages = [message for message in thread.messages if message.id in ids]
        files = {key: found for key, found in thread.attachments.items() if key in ids}
        threads.append(replace(thread, messages=messages, attachments=files))
    return threads


def erase(uow: PeopleUnit, actor: Actor, contact_id: int, mode: ErasureMode) -> Erased:
    _admin_only(actor)
    contact = contacts.get_contact(uow, actor, contact_id)
    ticket_ids = uow.people.requested_ticket_ids(actor.account_id, contact.id)
    for ticket_id in ticket_ids:
        tickets.get_ticket(uow, actor, ticket_id, lock=True)  # changes of them wait for us
    uow.people.forget_ticket_events(ticket_ids)
    if mode is ErasureMode.DELETE:
        names = [name for ticket_id in ticket_ids for name in uow.tickets.delete_ticket(ticket_id)]
    else:
        names = uow.people.anonymise_tickets(ticket_ids, PLACEHOLDER)
    conversation_ids = uow.people.conversation_ids(actor.account_id, contact.id)
    uow.people.delete_conversations(conversation_ids)
    names += uow.people.scrub_address(actor.account_id, contact.id, contact.email, PLACEHOLDER)
    uow.people.delete_contact(contact.id)
    uow.people.forget_search()
    events.record(
        uow, actor, CONTACT_ERASED, now_ms(), contact_id=contact.id, mode=mode.value,
        tickets=len(ticket_ids), chats=len(conversation_ids),
    )  # fmt: skip
    return Erased(
        contact.id, mode, len(ticket_ids), len(conversation_ids), tuple(sorted(set(names)))
    )
