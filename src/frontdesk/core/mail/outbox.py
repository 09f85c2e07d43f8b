"""Outgoing mail, queued in the transaction that decided to send it.

The mail channel delivers queued rows after commit; a row's dedupe key is unique, so the
same mail can never be queued (and so never sent) twice, however often the decision runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core import tickets
from frontdesk.core.identity import accounts, signatures
from frontdesk.core.identity.records import Inbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.html import bodies, text_to_html
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import get_ticket, log
from frontdesk.core.tickets.records import Message, Ticket

AUTO_REPLY = "auto_reply"
AGENT_REPLY = "agent_reply"
PASSWORD_RESET = "password_reset"  # noqa: S105 (an outbox kind: core.mail.notices)
INVITATION = "agent_invitation"  # a new agent's link to choose a password (notices)
PORTAL_LINK = "portal_link"  # a customer's sign-in link to the portal (core.mail.notices)
WITH_LINKS = frozenset({PASSWORD_RESET, INVITATION, PORTAL_LINK})  # mail carrying a one-time link
NOTIFICATION = "notification"  # an agent's notification, one event (core.notify)
NOTIFICATION_DIGEST = "notification_digest"  # an agent's notifications of an hour or a day
# Mail to the team (and a customer's portal link, which is no more part of a ticket): never
# part of a ticket's thread, never tagged with its number (a reply to it must not land on
# the ticket), marked auto-generated.
TO_AGENTS = frozenset({PASSWORD_RESET, INVITATION, NOTIFICATION, NOTIFICATION_DIGEST, PORTAL_LINK})
QUEUED = "queued"
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"  # DATA was sent and no answer came: the relay may have the mail
MAIL_QUEUED = events.MAIL_QUEUED
MAIL_SENT = events.MAIL_SENT
MAIL_FAILED = "mail.failed"
MAIL_UNKNOWN = "mail.unknown"
MAX_REFERENCES = 20  # a References header names at most this many earlier messages


@dataclass(frozen=True, slots=True)
class ReplyCap:
    """At most `limit` auto replies to one address within `window_ms`, for mail that looks
    like a loop: it `automated` (the transport's judgement of its headers and subject), or
    it came less than `repeat_ms` after the last auto reply to that address.

    Two auto-responders that slip past every header check (say, one that sets none) would
    otherwise answer each other for ever, seconds apart; the cap bounds that to a few mails
    an hour. A person who writes a fourth new ticket an hour is not a loop: they get it.
    """

    limit: int
    window_ms: int
    repeat_ms: int = 0
    automated: str | None = None  # why the mail looks automated, when it does


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
    capped = _capped(uow, actor.account_id, to, cap, now)
    if capped is not None:
        skip_auto_reply(uow, actor, ticket, capped, now)
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


def _capped(uow: MailUnit, account_id: int, to: str, cap: ReplyCap | None, now: int) -> str | None:
    """Why the cap stops this auto reply, or None when it does not."""
    if cap is None:
        return None
    count, latest = uow.mail.recent_mail(account_id, to, AUTO_REPLY, now - cap.window_ms)
    if count < cap.limit:
        return None
    minutes = max(cap.window_ms // 60_000, 1)
    had = f"{to} had {count} auto replies in the last {minutes} min"
    if cap.automated is not None:
        return f"{had}, and this mail looks automated ({cap.automated})"
    if latest is not None and now - latest < cap.repeat_ms:
        return f"{had}, and this mail came {(now - latest) // 1000} s after the last one"
    return None


def skip_auto_reply(uow: MailUnit, actor: Actor, ticket: Ticket, reason: str, now: int) -> None:
    """Say on the ticket that its sender got no auto reply, and why (agents see the line)."""
    log(uow, actor, ticket, f"No auto reply: {reason}"[:2000], now)


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
    earlier = uow.mail.email_message_ids_of(ticket.id, MAX_REFERENCES)
    parent = _parent(uow, ticket, earlier)
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
            **_signed(inbox, message),
            "email_message_id": email_message_id,
            "in_reply_to": parent,
            "references": " ".join(_references(earlier, parent)),
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


def _signed(inbox: Inbox, message: Message) -> dict[str, str]:
    """The mail's bodies: the message as the thread keeps it, and the inbox's signature
    under both parts (only the mail carries it: the thread shows what the agent wrote)."""
    signature = signatures.signed_text(inbox, message.from_name or inbox.name)
    if not signature:
        return {"body": message.body_text, "body_html": message.body_html}
    html = message.body_html  # a mail without an HTML part keeps none
    return {
        "body": f"{message.body_text}\n\n-- \n{signature}",
        "body_html": html + text_to_html(f"-- \n{signature}") if html else html,
    }


def display_name(inbox_name: str, agent_name: str | None) -> str:
    """The From header's name: `Agnes Berg (Support)` for an agent's reply, so the
    customer sees who answered and for which team; the inbox's name for everything else.
    Brackets rather than a word ("from", "från"), so the name reads the same whatever
    language the account and the customer write in."""
    agent = (agent_name or "").strip()
    if not agent or agent == inbox_name:
        return inbox_name
    return f"{agent} ({inbox_name})"


def _parent(uow: MailUnit, ticket: Ticket, earlier: Sequence[str]) -> str | None:
    """The mail a reply answers: the customer's latest, not our own auto reply (their
    client threads under what they wrote); the thread's latest when no customer mail has
    a Message-ID (a ticket opened over an API)."""
    own = uow.mail.customer_email_message_id(ticket.id)
    return own or (earlier[-1] if earlier else None)


def _references(earlier: Sequence[str], parent: str | None) -> list[str]:
    """The thread's Message-IDs, oldest first, the parent last (RFC 5322 3.6.4)."""
    if parent is None:
        return list(earlier)
    return [*(item for item in earlier if item != parent), parent][-MAX_REFERENCES:]


# -- delivery outcomes, recorded by the outbox worker -------------------------------------------


def _system(mail: OutboxMail) -> Actor:
    return Actor(account_id=mail.account_id, label="mail")


def backoff_ms(attempts: int, base_ms: int, max_ms: int) -> int:
    """How long to wait after the `attempts`-th failed try: doubling, capped."""
    return int(min(max_ms, base_ms * 2 ** min(max(attempts - 1, 0), 30)))


def renew_claim(uow: MailUnit, mail: OutboxMail, now: int, lease_ms: int) -> bool:
    """Extend this worker's claim on `mail` to cover one more send, right before it is
    sent. False if the claim was lost (its lease ran out and another worker claimed the
    row, or it was finished): the caller must not send it, or it would go out twice."""
    return uow.mail.renew_outbox(mail.id, mail.attempts, now + lease_ms)


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
    if mail.kind in WITH_LINKS:
        # The link is a credential until used: once sent, no copy stays in the database.
        changes["body"] = "(the one-time link was removed once the mail was sent)"
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


def mail_held(uow: MailUnit, mail: OutboxMail, reason: str, next_attempt: int) -> bool:
    """No way to send it yet (no relay for its inbox, an OAuth grant that needs an admin):
    the row waits, and the wait does not use up its attempts."""
    return uow.mail.finish_outbox(
        mail.id,
        mail.attempts,
        {
            "status": QUEUED,
            "attempts": max(mail.attempts - 1, 0),
            "next_attempt": next_attempt,
            "last_error": reason[:2000],
        },
    )


def mail_failed(uow: MailUnit, mail: OutboxMail, error: str, now: int) -> bool:
    """A lasting failure (a 5xx, or out of attempts): the ticket says so in its thread."""
    line = f"E-mail to {_recipients(mail)} could not be delivered: {error}"
    return _finish_told(uow, mail, (FAILED, error), line, now, MAIL_FAILED)


def mail_unknown(uow: MailUnit, mail: OutboxMail, error: str, now: int) -> bool:
    """No answer to the end of DATA: the relay may have taken the mail or not. Not tried
    again by itself (that could deliver it twice); the ticket says so, for a person to
    check the relay's log and resend if it did not arrive."""
    line = (
        f"E-mail to {_recipients(mail)}: outcome unknown, the relay did not answer after "
        f"the mail was sent ({error}). It was not sent again, to avoid a duplicate; check "
        "whether it arrived."
    )
    return _finish_told(uow, mail, (UNKNOWN, error), line, now, MAIL_UNKNOWN)


def _recipients(mail: OutboxMail) -> str:
    return ", ".join((*mail.to, *mail.cc))


def _finish_told(
    uow: MailUnit, mail: OutboxMail, outcome: tuple[str, str], line: str, now: int, event: str
) -> bool:
    """Record a send's bad `outcome` (status, error) and tell the ticket: a log line and
    `event`, once (only the worker that still holds the row does it)."""
    status, error = outcome
    done = uow.mail.finish_outbox(
        mail.id, mail.attempts, {"status": status, "last_error": error[:2000]}
    )
    if done and mail.ticket_id is not None:
        actor = _system(mail)
        ticket = get_ticket(uow, actor, mail.ticket_id)
        said = log(uow, actor, ticket, line[:2000], now)
        events.record(uow, actor, event, now, ticket_id=ticket.id, outbox_id=mail.id,
                      error=error, message_id=said.id)  # fmt: skip
    return done


def ticket_mail(uow: MailUnit, actor: Actor, ticket_id: int, limit: int = 200) -> list[OutboxMail]:
    """A ticket's outgoing mail, newest first: what was sent, waits, or failed, and why."""
    ticket = get_ticket(uow, actor, ticket_id)
    return uow.mail.list_outbox(actor.account_id, ticket_id=ticket.id, status=None, limit=limit)


# -- an inbox's outbound relay, as admins see it (settings) ---------------------------------

MAIL_RETRIED = "mail.retried"
WAITING = (QUEUED, "sending")
SHOWN_FAILURES = 20


@dataclass(frozen=True)
class RelayStatus:
    """What left an inbox's address lately: when the relay last took a mail, how many
    wait, and the latest failures with their reasons."""

    last_sent: int | None
    waiting: int
    failed: list[OutboxMail]
    unknown: list[OutboxMail]  # sent to the relay, no answer: they may have arrived


def relay_status(uow: MailUnit, actor: Actor, inbox_id: int) -> RelayStatus:
    accounts.require_admin(actor)
    inbox = accounts.get_inbox(uow, actor, inbox_id)
    account, sender = actor.account_id, inbox.email
    return RelayStatus(
        last_sent=uow.mail.last_sent(account, sender),
        waiting=uow.mail.count_sender_outbox(account, sender, WAITING),
        failed=uow.mail.sender_outbox(account, sender, (FAILED,), SHOWN_FAILURES),
        unknown=uow.mail.sender_outbox(account, sender, (UNKNOWN,), SHOWN_FAILURES),
    )


def retry_failed(uow: MailUnit, actor: Actor, outbox_id: int) -> OutboxMail:
    """A failed mail goes back in the queue, due now, with its attempts counted afresh.
    A mail whose outcome is unknown is not retried: the relay may have it already."""
    accounts.require_admin(actor)
    mail = uow.mail.get_outbox(actor.account_id, outbox_id)
    if mail is None:
        raise NotFound("mail_not_found", f"No outgoing mail {outbox_id}")
    if mail.status != FAILED or not uow.mail.requeue_failed(mail.id, now_ms()):
        raise Conflict("not_failed", "Only a failed mail can be sent again")
    events.record(uow, actor, MAIL_RETRIED, now_ms(), outbox_id=mail.id, ticket_id=mail.ticket_id)
    return mail
