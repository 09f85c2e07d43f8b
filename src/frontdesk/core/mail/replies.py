"""The team writes on a ticket: a reply, e-mailed to the customer if asked, or a private note.

The message and its outgoing mail are written in one transaction (core.outbox queues the
mail; the mail channel delivers it after commit), so a reply is never stored unsent-but-
marked-sent, nor sent without being stored. Internal notes are never e-mailed.

Two guards for the web app's composer: a reply written before the customer's latest
message arrived is refused as stale (the agent looks first, then sends anyway), and a
note's @mentions of agents are recorded as an event for whoever notifies them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import outbox
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import CustomerMail
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_addresses
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, drafts, refs
from frontdesk.core.tickets.attachments import StoredFile, upload_stored
from frontdesk.core.tickets.records import Message, MessageKind, Status, Ticket

# An agent answering a notification mail by e-mail (mail/agent_replies.py) writes a note
# instead of a reply by starting with this word.
NOTE_KEYWORD = "#note"
ANSWER_BY_MAIL = (
    "Answer this mail to reply to the customer as yourself. Start your answer with "
    f"{NOTE_KEYWORD} to add an internal note instead."
)

MAX_RECIPIENTS = 50
MENTIONED = "ticket.mentioned"
_MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+)", re.UNICODE)


@dataclass(frozen=True)
class TeamMessage:
    body_text: str
    body_html: str | None = None
    internal: bool = False
    send_email: bool = False
    to: tuple[str, ...] = ()  # the requester when empty
    # None: reply to all (whoever else the customer's latest mail went to, `reply_all_cc`);
    # a tuple, even empty, is the writer's own choice.
    cc: tuple[str, ...] | None = None
    bcc: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()  # UUIDs of uploads to this same ticket
    status: Status | None = None  # "send and set ...": the ticket's status afterwards
    # The newest customer message the writer had seen (its time, ms): a reply to a ticket
    # the customer wrote to since is refused as stale. None: no check.
    seen_customer_at: int | None = None


class NotMailed(StrEnum):
    """Why a message asked to be e-mailed was stored without being sent."""

    INTERNAL = "internal_note"  # notes are never e-mailed
    NO_RECIPIENT = "no_recipient"  # no toAddresses, and the ticket has no requester


@dataclass(frozen=True)
class Posted:
    message: Message
    emailed: bool  # an e-mail was queued in the outbox with the message
    not_emailed: NotMailed | None = None  # set when sending was asked and did not happen


def post(uow: MailUnit, actor: Actor, ticket_id: int, new: TeamMessage) -> Posted:
    """Store the message; queue it as e-mail when asked and it is not an internal note.

    Asked to e-mail a ticket that has no requester, with no toAddresses either (a ticket
    made as the InboxOps spec's own example makes it), the reply is stored and not sent,
    and `Posted.not_emailed` says why: refusing the reply would lose what the agent wrote.
    """
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    if (
        new.seen_customer_at is not None
        and not new.internal
        and (ticket.client_last_replied or 0) > new.seen_customer_at
    ):
        raise Conflict("stale_reply", "The customer wrote again since you started this reply")
    to = _addresses(new.to, "toAddresses")
    cc = _addresses(new.cc or (), "ccAddresses")
    bcc = _addresses(new.bcc, "bccAddresses")
    mailing = new.send_email and not new.internal
    not_emailed = NotMailed.INTERNAL if new.send_email and new.internal else None
    if mailing and not to:
        to = _requester_address(uow, actor, ticket.requester_id)
        if not to:
            mailing, not_emailed = False, NotMailed.NO_RECIPIENT
    if mailing and new.cc is None:
        cc = tuple(a for a in reply_all_cc(uow, actor, ticket) if a not in to)
    uploads = refs.attachments(
        uow, actor, new.attachments, ticket_id=ticket.id, field="attachmentIds"
    )
    message = tickets.add_message(
        uow,
        actor,
        ticket.id,
        NewMessage(
            body_text=new.body_text,
            body_html=new.body_html,
            kind=MessageKind.INTERNAL if new.internal else MessageKind.EXTERNAL,
            to=to if mailing else (),
            cc=cc if mailing else (),
            bcc=bcc if mailing else (),
            attachment_ids=tuple(upload.id for upload in uploads),
            by_team=True,
        ),
        status=new.status,
    )
    if mailing:
        current = tickets.get_ticket(uow, actor, ticket.id)
        outbox.queue_reply(uow, actor, current, message, to=list(to), cc=list(cc), bcc=list(bcc))
    if new.internal:
        _record_mentions(uow, actor, message)
    drafts.discard(uow, actor, ticket.id, "note" if new.internal else "reply")
    return Posted(message, emailed=mailing, not_emailed=not_emailed)


def post_with_files(
    uow: MailUnit,
    actor: Actor,
    ticket_id: int,
    new: TeamMessage,
    files: Sequence[StoredFile],
    limit: int,
) -> Posted:
    """`post`, with files uploaded from the browser (their bytes already streamed into the
    blob store) recorded in the same transaction."""
    uploaded = [
        upload_stored(uow, actor, replace(item, ticket_id=ticket_id), limit) for item in files
    ]
    names = tuple(item.uuid for item in uploaded)
    return post(uow, actor, ticket_id, replace(new, attachments=(*new.attachments, *names)))


def reply_all_cc(uow: MailUnit, actor: Actor, ticket: Ticket) -> tuple[str, ...]:
    """Whom a reply copies by default: everyone else the customer's latest mail came from
    or went to (colleagues in its To and Cc), never the requester (they are in To) nor an
    inbox of this installation (ours, or another account's: they would answer each other)."""
    requester = (
        contacts.find_contact(uow, actor.account_id, ticket.requester_id)
        if ticket.requester_id
        else None
    )
    return _copied(uow, uow.mail.latest_customer_mail(ticket.id), requester)


def reply_all_cc_of(
    uow: MailUnit, messages: Sequence[Message], requester: Contact | None
) -> tuple[str, ...]:
    """`reply_all_cc` from a thread and requester already loaded (the ticket page), without
    reading them again."""
    latest = max(
        (m for m in messages if m.kind is MessageKind.EXTERNAL and m.contact_id is not None),
        key=lambda m: m.id,
        default=None,
    )
    mail = CustomerMail(latest.from_email, latest.to, latest.cc) if latest else None
    return _copied(uow, mail, requester)


def _copied(
    uow: MailUnit, latest: CustomerMail | None, requester: Contact | None
) -> tuple[str, ...]:
    if latest is None:
        return ()
    seen = {requester.email.lower()} if requester is not None else set()
    found: list[str] = []
    for address in (latest.from_email or "", *latest.to, *latest.cc):
        key = address.strip().lower()
        if not key or key in seen or _is_inbox(uow, key):
            continue
        seen.add(key)
        found.append(key)
    return tuple(found[:MAX_RECIPIENTS])


def _is_inbox(uow: MailUnit, address: str) -> bool:
    """An inbox's address, or one of its plus addresses (`support+12-ab12cd34@...`)."""
    local, at, domain = address.rpartition("@")
    base = f"{local.partition('+')[0]}{at}{domain}"
    return accounts.inbox_with_address(uow, base) is not None


def mentioned(text: str, team: Sequence[Agent]) -> list[Agent]:
    """The agents a note names as `@maja` (the address before the @) or `@Maja` (a first
    name), in the order of the team."""
    words = {word.lower().rstrip(".") for word in _MENTION.findall(text)}
    return [
        agent
        for agent in team
        if agent.email.split("@")[0].lower() in words
        or (agent.name.split() or [""])[0].lower() in words
    ]


def _record_mentions(uow: MailUnit, actor: Actor, message: Message) -> None:
    named = mentioned(message.body_text, accounts.list_agents(uow, actor))
    if named:
        events.record(
            uow, actor, MENTIONED, now_ms(), ticket_id=message.ticket_id,
            message_id=message.id, agent_ids=[agent.id for agent in named],
        )  # fmt: skip


def _addresses(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(values) > MAX_RECIPIENTS:
        raise Invalid("too_many", f"{field} has more than {MAX_RECIPIENTS} addresses", field=field)
    return tuple(dict.fromkeys(normalise_addresses(values, field=field)))


def _requester_address(uow: MailUnit, actor: Actor, requester_id: int | None) -> tuple[str, ...]:
    requester = contacts.find_contact(uow, actor.account_id, requester_id) if requester_id else None
    return (requester.email,) if requester is not None else ()
