"""A chat handed over to the ticket queue: "create ticket from this chat".

The transcript (visitor and agent messages, with times in UTC) becomes the first message
of a new ticket, as an internal note by the agent who made it: agents read it, nobody is
mailed it. When the visitor's e-mail is known, the visitor is the ticket's requester, so
the team's reply reaches them; the ticket is new, waiting in the queue like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from frontdesk.core.chat._base import get_conversation, transcript
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import ChatMessage, Conversation, Sender
from frontdesk.core.identity.accounts import get_agent
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, NewTicket, open_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import MessageKind, Ticket

MAX_SUBJECT_NAME = 120
TICKETS_SHOWN = 5


class HandoffUnit(ChatUnit, TicketsUnit, Protocol):
    """Both areas in one transaction: the chat is read, the ticket written."""


def ticket_from_chat(
    uow: HandoffUnit, actor: Actor, public_id: str, agent_id: int, requester_email: str | None
) -> Ticket:
    """A new ticket whose first message is the chat's transcript; the chat itself stays."""
    get_agent(uow, actor, agent_id)
    conversation = get_conversation(uow, actor, public_id)
    spoken = [m for m in transcript(uow, conversation) if m.sender is not Sender.SYSTEM]
    if not spoken:
        raise Invalid("empty_chat", "Nobody has written in this chat yet")
    email = (requester_email or "").strip() or None
    name = (conversation.visitor_name or "")[:MAX_SUBJECT_NAME] or None
    text = transcript_text(conversation, spoken)
    opened = open_ticket(
        uow,
        actor,
        NewTicket(
            subject=f"Chat with {name or 'a visitor'} ({conversation.public_id})",
            message=NewMessage(body_text=text, kind=MessageKind.INTERNAL, agent_id=agent_id),
            requester_email=email,
            requester_name=name,
        ),
    )
    return opened.ticket


def tickets_of_visitor(uow: HandoffUnit, actor: Actor, email: str) -> list[Ticket]:
    """The latest tickets of the contact with the visitor's e-mail (none when unknown)."""
    if not email:
        return []
    contact = uow.contacts.find_contact_by_email(actor.account_id, email.strip())
    if contact is None:
        return []
    return uow.listing.latest_of_requester(actor.account_id, contact.id, TICKETS_SHOWN)


def transcript_text(conversation: Conversation, messages: list[ChatMessage]) -> str:
    """`[2026-11-24 08:07 UTC] Ada: text` per message, the visitor named as they were."""
    visitor = conversation.visitor_name or "Visitor"
    lines = []
    for message in messages:
        when = datetime.fromtimestamp(message.created / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        who = visitor if message.sender is Sender.VISITOR else message.from_name
        lines.append(f"[{when} UTC] {who}: {message.body}")
    return "\n".join(lines)
