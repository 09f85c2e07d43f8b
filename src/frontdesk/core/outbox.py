"""Outgoing mail, queued in the transaction that decided to send it.

The mail channel delivers queued rows after commit; a row's dedupe key is unique, so the
same mail can never be queued (and so never sent) twice, however often the decision runs.
"""

from __future__ import annotations

from frontdesk.core import events
from frontdesk.core.clock import now_ms
from frontdesk.core.models import Actor, Inbox, Ticket
from frontdesk.core.ports import Repo

AUTO_REPLY = "auto_reply"
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
