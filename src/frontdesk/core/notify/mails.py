"""Notification mail, through the outbox: one per notification, or a digest.

A ticket's notification mails form one thread in the agent's mail program: each names the
same root Message-ID (per ticket, or per chat) in In-Reply-To and References. Each says
how to turn them off. A mail about one ticket is queued with that ticket, so deleting or
erasing the ticket takes its unsent and sent mails along; a digest names tickets by number
and chats by id only, never by subject or visitor, so that no erasure leaves text in it.
"""

from __future__ import annotations

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail.outbox import NOTIFICATION, NOTIFICATION_DIGEST, QUEUED, new_message_id
from frontdesk.core.mail.replies import ANSWER_BY_MAIL
from frontdesk.core.notify.ports import NotifyUnit
from frontdesk.core.notify.records import QUOTES_LOG, Kind, Notification, Shown

SETTINGS_PATH = "/notifications/settings"
MAX_QUOTED = 10_000  # characters of the message a notification shows; the page has it all

_WHAT = {
    Kind.NEW_TICKET: "New ticket",
    Kind.ASSIGNED: "Assigned to you",
    Kind.CUSTOMER_REPLY: "The customer replied",
    Kind.MENTION: "You were mentioned",
    Kind.CHAT_TRANSFER: "A chat was transferred to you",
    Kind.RULE: "A rule asks for your attention",
    Kind.SLA_WARNING: "The SLA runs out soon",
    Kind.SLA_BREACH: "The SLA was breached",
    Kind.MAIL_FAILED: "Delivery of a reply failed",
}


def what(kind: Kind) -> str:
    return _WHAT[kind]


def link(shown: Shown, base_url: str) -> str:
    base = base_url.rstrip("/")
    if shown.notification.ticket_id is not None:
        return f"{base}/tickets/{shown.notification.ticket_id}"
    return f"{base}/chat"


def _footer(base_url: str) -> str:
    return (
        "\n--\nYou get this mail because of your notification settings. To change them or "
        f"turn these mails off: {base_url.rstrip('/')}{SETTINGS_PATH}\n"
    )


def _thread_root(shown: Shown, domain: str) -> str:
    if shown.ticket_uuid is not None:
        return f"<ticket-{shown.ticket_uuid}@{domain}>"
    return f"<chat-{shown.conversation_public_id}@{domain}>"


def queue_instant(uow: NotifyUnit, notification: Notification, base_url: str, now: int) -> None:
    """One mail for one notification, threaded with the others of its ticket or chat."""
    agent = uow.accounts.get_agents(notification.account_id, [notification.agent_id]).get(
        notification.agent_id
    )
    sender = _sender(uow, notification.account_id)
    (shown,) = uow.notify.shown_by_id([notification.id])
    if agent is None or sender is None:
        return  # no inbox to send from: the bell still shows it
    about = (
        f"#{shown.ticket_number} {shown.title}"
        if shown.ticket_number is not None
        else f"chat {shown.conversation_public_id}"
    )
    by = f" (by {shown.by_name})" if shown.by_name else ""
    body = f"{what(notification.kind)}{by}: {about}\n\nOpen it: {link(shown, base_url)}\n"
    if notification.ticket_id is not None:
        # The outbox worker gives a ticket's notification the agent's signed reply address
        # (mail/agent_replies.py): answered, it lands on the ticket as the agent's reply.
        body += _their_words(uow, notification) + f"\n{ANSWER_BY_MAIL}\n"
    root = _thread_root(shown, sender.rsplit("@", 1)[-1])
    _queue(uow, agent, sender, f"[Frontdesk] {what(notification.kind)}: {about}",
           body + _footer(base_url), now, ticket_id=notification.ticket_id, root=root,
           dedupe=f"{NOTIFICATION}:{notification.id}", kind=NOTIFICATION)  # fmt: skip
    uow.notify.mark_mailed([notification.id], now)


def _their_words(uow: NotifyUnit, notification: Notification) -> str:
    """The message the notification is about, for an answer written from the mail alone."""
    if notification.message_id is None:
        return ""
    found = uow.tickets.get_messages(notification.account_id, [notification.message_id])
    if not found:
        return ""
    message = found[0]
    text = message.body_text.strip()
    if len(text) > MAX_QUOTED:
        text = text[:MAX_QUOTED] + " [...]"
    if notification.kind in QUOTES_LOG:
        return f"\nThe ticket says:\n\n{text}\n"  # whom the mail was for, and why it failed
    who = message.from_name or message.from_email or "They"
    return f"\n{who} wrote:\n\n{text}\n"


def queue_digests(uow: NotifyUnit, base_url: str, now: int) -> int:
    """A digest for each agent whose hour or day has passed and who has news; how many."""
    queued = 0
    for agent_id, ids in uow.notify.digest_due(now):
        shown = uow.notify.shown_by_id(ids)
        agent = next(iter(uow.accounts.get_agents(shown[0].notification.account_id,
                                                  [agent_id]).values()), None)  # fmt: skip
        sender = _sender(uow, shown[0].notification.account_id) if shown else None
        if agent is None or sender is None:
            continue
        lines = [_digest_line(item, base_url) for item in shown]
        body = f"{len(lines)} notifications since the last digest:\n\n" + "\n".join(lines)
        dedupe = f"{NOTIFICATION_DIGEST}:{agent_id}:{now}"
        _queue(uow, agent, sender, f"[Frontdesk] {len(lines)} notifications",
               body + "\n" + _footer(base_url), now, ticket_id=None, root=None,
               dedupe=dedupe, kind=NOTIFICATION_DIGEST)  # fmt: skip
        uow.notify.mark_mailed(ids, now)
        uow.notify.set_last_digest(agent_id, now)
        queued += 1
    return queued


def _digest_line(shown: Shown, base_url: str) -> str:
    about = (
        f"ticket #{shown.ticket_number}"
        if shown.ticket_number is not None
        else f"chat {shown.conversation_public_id}"
    )
    return f"- {what(shown.notification.kind)}: {about} {link(shown, base_url)}"


def _sender(uow: NotifyUnit, account_id: int) -> str | None:
    inboxes = accounts.inboxes_of(uow, account_id)
    return min(inboxes, key=lambda inbox: inbox.id).email if inboxes else None


def _queue(
    uow: NotifyUnit, agent: Agent, sender: str, subject: str, body: str, now: int, *,
    ticket_id: int | None, root: str | None, dedupe: str, kind: str,
) -> None:  # fmt: skip
    uow.mail.queue_mail(
        {
            "account_id": agent.account_id, "ticket_id": ticket_id, "message_id": None,
            "kind": kind, "from_addr": sender, "to_addr": agent.email, "to_addrs": agent.email,
            "subject": subject[:1000], "body": body,
            "email_message_id": new_message_id(sender), "in_reply_to": root,
            "references": root or "", "status": QUEUED, "attempts": 0, "next_attempt": now,
            "created": now, "dedupe_key": dedupe[:200],
        }
    )  # fmt: skip
