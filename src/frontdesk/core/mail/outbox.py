"""Outgoing mail, queued in the transaction that decided to send it.

The mail channel delivers queued rows after commit; a row's dedupe key is unique, so the
same mail can never be queued (and so never sent) twice, however often the decision runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Inbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.html import bodies
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import get_ticket, log
from frontdesk.core.tickets.records import Message, Ticket

AUTO_REPLY = "auto_reply"
AGENT_REPLY = "agent_reply"
PASSWORD_RESET = "password_reset"  # noqa: S105 (an outbox kind: core.mail.notices)
NOTIFICATION = "notification"  # an agent's notification, one event (core.notify)
NOTIFICATION_DIGEST = "notification_digest"  # an agent's notifications of an hour or a day
# Mail to the team, not to customers: never part of a ticket's thread, never tagged with
# its number (a reply to it must not land on the ticket), marked auto-generated.
TO_AGENTS = frozenset({PASSWORD_RESET, NOTIFICATION, NOTIFICATION_DIGEST})
QUEUED = "queued"
SENT = "sent"
FAILED = "failed"
MAIL_QUEUED = "mail.queued"
MAIL_SENT = "mail.sent"
MAIL_FAILED = "mail.failed"
MAX_REFERENCES = 20  # a References header names at most this many earlier messages


@dataclass(frozen=True, slots=True)
class ReplyCap:
    """At most `limit` auto replies to one address within `window_ms`.

    Two auto-responders that slip past every header check (say, one that sets none) would
    otherwise answer each other for ever; the cap bounds that to a few mails an hour.
    """

    limit: int
    window_ms: int


def new_message_id(sender: str) -> str:
    """A fresh Message-ID in the sending inbox's domain, fixed when a mail is queued."""
    return f"<{uuid.uuid4()}@{sender.rsplit('@', 1)[-1]}>"


def queue_auto_reply(
    uow: MailUnit,
    actor: Actor,
    ticket: Ticket,
    inbox: Inbox,
    to: str,
    *,
    in_reply_to: str | None = None,
    cap: ReplyCap | None = None,
) -> bool:
    """Queue the inbox's auto reply to a new ticket's sender; False when nothing was queued.

    Nothing is queued when the inbox has no auto-reply text, when `to` is one of the
    installation's inboxes, when this ticket already
    has its auto reply (in the queue or sent), or when `cap` says that address has had
    enough auto replies lately.
    """
    text = (inbox.auto_reply or "").strip()
    if not text:
        return False
    if accounts.inbox_with_address(uow, to) is not None:
        return False  # never answer an inbox (ours): two of them would answer each other
    now = now_ms()
    if cap is not None and (
        uow.mail.count_recent_mail(actor.account_id, to, AUTO_REPLY, now - cap.window_ms)
        >= cap.limit
    ):
        return False
    queued = uow.mail.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "message_id": None,
            "kind": AUTO_REPLY,
            "from_addr": inbox.email,
            "to_addr": to,
            "subject": f"Re: {ticket.subject}"[:1000],
            "body": text,
            "email_message_id": new_message_id(inbox.email),
            "in_reply_to": in_reply_to,
            "references": in_reply_to or "",
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
        uow, actor, MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=queued, kind=AUTO_REPLY
    )
    return True


def sender_inbox(uow: MailUnit, ticket: Ticket) -> Inbox:
    """The inbox a ticket's mail leaves from: its own, else the account's first."""
    if ticket.inbox_id is not None:
        own = accounts.find_inbox(uow, ticket.account_id, ticket.inbox_id)
        if own is not None:
            return own
    first = accounts.default_inbox(uow, ticket.account_id)
    if first is None:
        raise Invalid("no_inbox", "the workspace has no inbox to send e-mail from")
    return first


def queue_reply(
    uow: MailUnit,
    actor: Actor,
    ticket: Ticket,
    message: Message,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
) -> int:
    """Queue `message` (already stored on `ticket`) as an e-mail; returns the outbox id.

    Written in the caller's transaction, so the message and its mail commit together. The
    dedupe key is the message: one message is mailed at most once.
    """
    if not to:
        raise Invalid("no_recipient", "the e-mail has no recipient", field="toAddresses")
    inbox = sender_inbox(uow, ticket)
    now = now_ms()
    # Threading: the reply answers the thread's latest mail and names the earlier ones.
    earlier = uow.mail.email_message_ids_of(ticket.id, MAX_REFERENCES)
    email_message_id = f"<{message.uuid}@{inbox.email.rsplit('@', 1)[-1]}>"
    # The message records what left, as whom and to whom (ImBox listTicketsEmails lists it:
    # the inbox's address it was sent from, the agent's or else the inbox's name), and its
    # Message-ID lets replies to this mail find the ticket.
    sender = (inbox.email, message.from_name or inbox.name)
    uow.mail.set_message_mail(
        message.id, email_message_id=email_message_id, to=to, cc=cc, sender=sender
    )
    queued = uow.mail.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": ticket.id,
            "message_id": message.id,
            "kind": AGENT_REPLY,
            "from_addr": inbox.email,
            "to_addr": to[0],
            "to_addrs": "\n".join(to),
            "cc_addrs": "\n".join(cc),
            "bcc_addrs": "\n".join(bcc),
            "subject": f"Re: {ticket.subject}"[:1000],
            "body": message.body_text,
            "body_html": message.body_html,
            "email_message_id": email_message_id,
            "in_reply_to": earlier[-1] if earlier else None,
            "references": " ".join(earlier),
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
        uow, actor, MAIL_QUEUED, now, ticket_id=ticket.id, outbox_id=queued, kind=AGENT_REPLY
    )
    return queued


# -- delivery outcomes, recorded by the outbox worker -------------------------------------------


def _system(mail: OutboxMail) -> Actor:
    return Actor(account_id=mail.account_id, label="mail")


def backoff_ms(attempts: int, base_ms: int, max_ms: int) -> int:
    """How long to wait after the `attempts`-th failed try: doubling, capped."""
    return int(min(max_ms, base_ms * 2 ** min(max(attempts - 1, 0), 30)))


def mail_sent(uow: MailUnit, mail: OutboxMail, now: int, note: str | None = None) -> bool:
    """The relay took the mail. A mail no message stands for (an auto reply) becomes one,
    so that the ticket's thread and e-mail lists show what left and to whom."""
    message_id = mail.message_id
    if message_id is None and mail.ticket_id is not None and mail.kind not in TO_AGENTS:
        message_id = _record_outgoing(uow, mail, now)
    changes: dict[str, object] = {
        "status": SENT,
        "sent": now,
        "last_error": note,
        "message_id": message_id,
    }
    if mail.kind == PASSWORD_RESET:
        # The link is a credential until used: once sent, no copy stays in the database.
        changes["body"] = "(the reset link was removed once the mail was sent)"
    done = uow.mail.finish_outbox(mail.id, mail.attempts, changes)
    if done:
        events.record(
            uow, _system(mail), MAIL_SENT, now, ticket_id=mail.ticket_id, outbox_id=mail.id
        )
    return done


def _record_outgoing(uow: MailUnit, mail: OutboxMail, now: int) -> int:
    assert mail.ticket_id is not None  # checked by the caller
    inbox = accounts.inbox_with_address(uow, mail.from_addr)
    text, html = bodies(mail.body, mail.body_html or None)
    message = tickets.record_sent_mail(
        uow,
        account_id=mail.account_id,
        ticket_id=mail.ticket_id,
        sender=(mail.from_addr, inbox.name if inbox is not None else None),
        recipients=(mail.to, mail.cc),
        content=(text, html),
        email_message_id=mail.email_message_id,
        now=now,
    )
    return message.id


def mail_retry(uow: MailUnit, mail: OutboxMail, error: str, next_attempt: int) -> bool:
    """A passing failure (no connection, a 4xx): the row waits and is tried again."""
    return uow.mail.finish_outbox(
        mail.id,
        mail.attempts,
        {"status": QUEUED, "next_attempt": next_attempt, "last_error": error[:2000]},
    )


def mail_failed(uow: MailUnit, mail: OutboxMail, error: str, now: int) -> bool:
    """A lasting failure (a 5xx, or out of attempts): the ticket says so in its thread."""
    done = uow.mail.finish_outbox(
        mail.id, mail.attempts, {"status": FAILED, "last_error": error[:2000]}
    )
    if done and mail.ticket_id is not None:
        actor = _system(mail)
        ticket = get_ticket(uow, actor, mail.ticket_id)
        recipients = ", ".join((*mail.to, *mail.cc))
        log(
            uow,
            actor,
            ticket,
            f"E-mail to {recipients} could not be delivered: {error}"[:2000],
            now,
        )
        events.record(
            uow, actor, MAIL_FAILED, now, ticket_id=ticket.id, outbox_id=mail.id, error=error
        )
    return done


def ticket_mail(uow: MailUnit, actor: Actor, ticket_id: int, limit: int = 200) -> list[OutboxMail]:
    """A ticket's outgoing mail, newest first: what was sent, waits, or failed, and why."""
    ticket = get_ticket(uow, actor, ticket_id)
    return uow.mail.list_outbox(actor.account_id, ticket_id=ticket.id, status=None, limit=limit)
