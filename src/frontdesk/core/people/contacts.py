"""A contact's tickets and chats, linking a chat to a contact, merging two contacts."""

from __future__ import annotations

from frontdesk.core import chat, contacts
from frontdesk.core.chat.records import Conversation
from frontdesk.core.contacts.records import Contact
from frontdesk.core.people.ports import PeopleUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.records import Ticket, TicketDetails

CONTACT_MERGED = "contact.merged"
CHAT_CONTACT_SET = "chat.contact_set"
MAX_PAGE = 100
MAX_CHATS = 500


def contact_tickets(
    uow: PeopleUnit, actor: Actor, contact_id: int, *, after_id: int, limit: int
) -> tuple[list[Ticket], dict[int, TicketDetails]]:
    """The tickets the contact requested, oldest first, a keyset page by id."""
    contact = contacts.get_contact(uow, actor, contact_id)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_PAGE}", field="limit")
    ids = uow.people.requested_ticket_ids(
        actor.account_id, contact.id, after_id=after_id, limit=limit
    )
    found = uow.tickets.get_tickets(actor.account_id, ids)
    ordered = [found[ticket_id] for ticket_id in ids if ticket_id in found]
    return ordered, uow.tickets.ticket_details(ids) if ids else {}


def contact_chats(uow: PeopleUnit, actor: Actor, contact_id: int) -> list[Conversation]:
    """The conversations linked to the contact, newest first (at most MAX_CHATS)."""
    contact = contacts.get_contact(uow, actor, contact_id)
    return uow.chat.contact_chats(actor.account_id, contact.id, limit=MAX_CHATS)


def link_chat(
    uow: PeopleUnit, actor: Actor, public_id: str, contact_id: int | None
) -> Conversation:
    """Say which contact a chat's visitor is (None: nobody known)."""
    conversation = chat.get_conversation(uow, actor, public_id)
    contact = contacts.get_contact(uow, actor, contact_id) if contact_id is not None else None
    uow.people.link_conversation(conversation.id, contact.id if contact else None)
    events.record(uow, actor, CHAT_CONTACT_SET, now_ms(), conversation_id=conversation.public_id,
                  contact_id=contact.id if contact else None)  # fmt: skip
    return conversation


def merge_contacts(uow: PeopleUnit, actor: Actor, source_id: int, target_id: int) -> Contact:
    """Fold the source into the target: its tickets, messages, files, customer tokens and
    chats become the target's, blanks of the target are filled from it, and it is gone."""
    if source_id == target_id:
        raise Invalid("same_contact", "A contact cannot be merged into itself", field="into_id")
    source = contacts.get_contact(uow, actor, source_id)
    target = contacts.get_contact(uow, actor, target_id)
    uow.people.move_contact(actor.account_id, source.id, target.id)
    uow.people.delete_contact(source.id)
    blanks = {
        key: getattr(source, key)
        for key in ("name", "phone", "company", "external_id")
        if getattr(source, key) and not getattr(target, key)
    }
    merged = uow.contacts.update_contact(target.id, blanks) if blanks else target
    events.record(uow, actor, CONTACT_MERGED, now_ms(), source_id=source.id, target_id=target.id)
    return merged
