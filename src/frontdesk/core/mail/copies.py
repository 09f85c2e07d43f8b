"""Copies of a customer's mail to the agents assigned to its ticket, to answer by e-mail.

Each copy carries, as its Reply-To, the agent's signed reply address for that ticket (the
mail channel makes it: mail/agent_replies.py), so that answering the copy from the
agent's own mail program lands on the ticket as that agent's reply or note.
"""

from __future__ import annotations

from collections.abc import Callable

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import outbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import details_of
from frontdesk.core.tickets.records import Message, Ticket

AGENT_COPY = "agent_copy"
NOTE_KEYWORD = "#note"
_HOW = (
    "Answer this mail to reply to the customer as yourself. Start your answer with "
    f"{NOTE_KEYWORD} to add an internal note instead."
)


def queue_agent_copies(
    uow: MailUnit,
    actor: Actor,
    ticket: Ticket,
    message: Message,
    reply_address: Callable[[Agent], str],
) -> list[int]:
    """Queue a copy of `message` for each agent assigned to `ticket` (none is the author);
    returns the outbox ids. One copy per agent and message, however often this runs."""
    assignee_ids = details_of(uow, ticket).assignee_ids
    assigned = [
        agent
        for agent in accounts.list_agents(uow, actor)
        if agent.id in assignee_ids and agent.id != message.agent_id
    ]
    if not assigned:
        return []
    inbox = outbox.sender_inbox(uow, ticket)
    now = now_ms()
    queued = [
        found
        for agent in assigned
        if (found := _queue(uow, actor, ticket, message, agent, inbox.email, reply_address(agent)))
        is not None
    ]
    for outbox_id in queued:
        events.record(
            uow, actor, outbox.MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=outbox_id,
            kind=AGENT_COPY,
        )  # fmt: skip
    return queued


def _queue(
    uow: MailUnit,
    actor: Actor,
    ticket: Ticket,
    message: Message,
    agent: Agent,
    sender: str,
    reply_to: str,
) -> int | None:
    now = now_ms()
    who = message.from_name or message.from_email or "The customer"
    return uow.mail.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            # The row names the customer's message it copies: once sent, it is not
            # recorded as a message of its own on the ticket.
            "message_id": message.id,
            "kind": AGENT_COPY,
            "from_addr": sender,
            "to_addr": agent.email,
            "to_addrs": agent.email,
            "subject": ticket.subject[:1000],
            "body": f"{who} wrote:\n\n{message.body_text}\n\n-- \n{_HOW}",
            "body_html": "",
            "email_message_id": outbox.new_message_id(sender),
            "in_reply_to": message.email_message_id,
            "references": message.email_message_id or "",
            "reply_to": reply_to,
            "status": outbox.QUEUED,
            "attempts": 0,
            "next_attempt": now,
            "created": now,
            "dedupe_key": f"{AGENT_COPY}:{message.id}:{agent.id}",
        }
    )
