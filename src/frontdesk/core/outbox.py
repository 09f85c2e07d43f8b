"""Outgoing mail, queued in the transaction that decided to send it.

The mail channel delivers queued rows after commit; a row's dedupe key is unique, so the
same mail can never be queued (and so never sent) twice, however often the decision runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.core import events
from frontdesk.core.clock import now_ms
from frontdesk.core.errors import Invalid
from frontdesk.core.models import Actor, Inbox, Message, Ticket
from frontdesk.core.ports import Repo

AUTO_REPLY = "auto_reply"
AGENT_REPLY = "agent_reply"
QUEUED = "queued"
MAIL_QUEUED = "mail.queued"


def queue_auto_reply(repo: Repo, actor: Actor, ticket: Ticket, inbox: Inbox, to: str) -> bool:
    """Queue the inbox's auto reply to a new ticket's sender; False when nothing was queued.

    Nothing is queued when the inbox has no auto-reply text, or when this ticket already
    has its auto reply (in the queue or sent).
    """
    text = (inbox.auto_reply or "").strip()
    if not text:
        return False
    now = now_ms()
    queued = repo.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "message_id": None,
            "kind": AUTO_REPLY,
            "from_addr": inbox.email,
            "to_addr": to,
            "subject": f"Re: {ticket.subject}"[:1000],
            "body": text,
            "status": QUEUED,
            "attempts": 0,
            "next_attempt": now,
            "created": now,
            "dedupe_key": f"{AUTO_REPLY}:{ticket.id}",
        }
    )
    if queued is None:
        return False
    events.record(
        repo, actor, MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=queued, kind=AUTO_REPLY
    )
    return True


def sender_inbox(repo: Repo, ticket: Ticket) -> Inbox:
    """The inbox a ticket's mail leaves from: its own, else the account's first."""
    if ticket.inbox_id is not None:
        own = repo.get_inbox(ticket.account_id, ticket.inbox_id)
        if own is not None:
            return own
    inboxes = repo.list_inboxes(ticket.account_id)
    if not inboxes:
        raise Invalid("no_inbox", "the workspace has no inbox to send e-mail from")
    return min(inboxes, key=lambda inbox: inbox.id)


def queue_reply(
    repo: Repo,
    actor: Actor,
    ticket: Ticket,
    message: Message,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> int:
    """Queue `message` (already stored on `ticket`) as an e-mail; returns the outbox id.

    Written in the caller's transaction, so the message and its mail commit together. The
    dedupe key is the message: one message is mailed at most once.
    """
    if not to:
        raise Invalid("no_recipient", "the e-mail has no recipient", field="toAddresses")
    inbox = sender_inbox(repo, ticket)
    now = now_ms()
    queued = repo.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "message_id": message.id,
            "kind": AGENT_REPLY,
            "from_addr": inbox.email,
            "to_addr": to[0],
            "to_addrs": "\n".join(to),
            "cc_addrs": "\n".join(cc),
            "subject": f"Re: {ticket.subject}"[:1000],
            "body": message.body_text,
            "body_html": message.body_html,
            "email_message_id": f"<{message.uuid}@{inbox.email.rsplit('@', 1)[-1]}>",
            "status": QUEUED,
            "attempts": 0,
            "next_attempt": now,
            "created": now,
            "dedupe_key": f"{AGENT_REPLY}:{message.id}",
        }
    )
    if queued is None:
        raise Invalid("already_sent", "this message has already been queued as e-mail")
    events.record(
        repo, actor, MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=queued, kind=AGENT_REPLY
    )
    return queued
