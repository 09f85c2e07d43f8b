"""Mail the system sends outside any ticket: agents' password reset links and
invitations, and customers' sign-in links to the portal.

The identity area issues the reset (it cannot import mail); this area queues the mail in
the same transaction, through the outbox, so the link is sent if and only if it exists.
The mail leaves from the account's first inbox, like any other mail of the account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from frontdesk.core.identity import accounts, portal, sessions, team
from frontdesk.core.identity.portal import LinkIssued
from frontdesk.core.identity.records import Agent, Role
from frontdesk.core.identity.sessions import Client, Policy, ResetIssued
from frontdesk.core.mail.outbox import (
    INVITATION,
    MAIL_QUEUED,
    PASSWORD_RESET,
    PORTAL_LINK,
    QUEUED,
    new_message_id,
)
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict
from frontdesk.core.shared.records import Actor

log = logging.getLogger(__name__)
RESET_PATH = "/login/reset/"
WELCOME_PATH = "/login/welcome/"
PORTAL_PATH = "/portal/"


def request_password_reset(
    uow: MailUnit, email: str, client: Client, policy: Policy, base_url: str
) -> int:
    """Issue reset links for the address and queue one mail per link; how many were queued.

    The caller answers the same whatever this returns, so that the form does not tell
    which addresses belong to an agent.
    """
    queued = 0
    for issued in sessions.request_reset(uow, email, client, policy):
        queued += _queue_reset_mail(uow, issued, base_url.rstrip("/") + RESET_PATH + issued.token)
    return queued


def invite_agent(
    uow: MailUnit, actor: Actor, name: str, email: str, role: Role, base_url: str
) -> Agent:
    """A new agent, invited by mail to choose a password (core.identity.team.invite_agent).

    The mail is queued in the same transaction: no invitation without its mail. An account
    without an inbox has no address to send from: Conflict, and nothing is created.
    """
    link = team.invite_agent(uow, actor, name, email, role)
    account = accounts.get_account(uow, actor.account_id)
    until = datetime.fromtimestamp(link.expires / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"Hello {link.agent.name},\n\n"
        f"you are invited to answer customers with {account.name} in Frontdesk.\n"
        f"Choose your password here (the link works once, until {until}):\n\n"
        f"{base_url.rstrip('/') + WELCOME_PATH + link.token}\n\n"
        f"Then sign in with this address, {link.agent.email}.\n"
    )
    mail = LinkMail(INVITATION, link.agent.email, f"Join {account.name} on Frontdesk", body)
    if not _queue_link_mail(uow, sessions.agent_actor(link.agent), mail, link.token):
        raise Conflict("no_inbox", "Add an inbox first: invitations are sent from it")
    return link.agent


def _queue_reset_mail(uow: MailUnit, issued: ResetIssued, link: str) -> int:
    agent = issued.agent
    account = accounts.get_account(uow, agent.account_id)
    body = (
        f"Hello {agent.name},\n\n"
        f"someone (we hope you) asked to reset your Frontdesk password for {account.name}.\n"
        f"Choose a new password here (the link works once, until {_until(issued.expires)}):"
        f"\n\n{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    mail = LinkMail(PASSWORD_RESET, agent.email, "Reset your Frontdesk password", body)
    return _queue_link_mail(uow, sessions.agent_actor(agent), mail, issued.token)


@dataclass(frozen=True)
class LinkMail:
    kind: str
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class _LinkWords:
    subject: str
    greeting: str
    intro: str
    once: str  # with {until}
    ignore: str


def _portal_link_words(language: str, name: str | None, account_name: str) -> _LinkWords:
    """The sign-in mail in the portal's languages: the customer asked for it on a page in
    one of them, so it comes in that one (English otherwise)."""
    hello = f" {name}" if name else ""
    if language == "sv":
        return _LinkWords(
            subject=f"Din inloggningslänk till supporten för {account_name}",
            greeting=f"Hej{hello},",
            intro=f"här är din länk för att logga in på supportportalen för {account_name}.",
            once="Den fungerar en gång, fram till {until}:",
            ignore="Om du inte bad om den kan du strunta i mejlet: ingen kan logga in utan den.",
        )
    return _LinkWords(
        subject=f"Your sign-in link to {account_name} support",
        greeting=f"Hello{hello},",
        intro=f"here is your link to sign in to {account_name}'s support portal.",
        once="It works once, until {until}:",
        ignore="If you did not ask for it, ignore this mail: nobody can sign in without it.",
    )


def _until(expires: int) -> str:
    return datetime.fromtimestamp(expires / 1000, tz=UTC).strftime("%H:%M UTC")


def _queue_link_mail(uow: MailUnit, actor: Actor, mail: LinkMail, token: str) -> int:
    """Queue a mail carrying a one-time link, from the account's first inbox; 1 if queued.
    The outbox keeps no copy of the link once it is sent (core.mail.outbox)."""
    sender = accounts.default_inbox(uow, actor.account_id)
    if sender is None:
        log.warning("account %s has no inbox to send a %s from", actor.account_id, mail.kind)
        return 0
    now = now_ms()
    outbox_id = uow.mail.queue_mail(
        {
            "account_id": actor.account_id,
            "ticket_id": None,
            "message_id": None,
            "kind": mail.kind,
            "from_addr": sender.email,
            "to_addr": mail.to,
            "to_addrs": mail.to,
            "subject": mail.subject,
            "body": mail.body,
            "email_message_id": new_message_id(sender.email),
            "status": QUEUED,
            "attempts": 0,
            "next_attempt": now,
            "created": now,
            "dedupe_key": f"{mail.kind}:{token.split('.')[0]}",
        }
    )
    if outbox_id is None:
        return 0
    events.record(uow, actor, MAIL_QUEUED, now, outbox_id=outbox_id, kind=mail.kind)
    return 1


def request_portal_link(
    uow: MailUnit,
    account_id: int,
    email: str,
    client: Client,
    policy: Policy,
    base_url: str,
    language: str = "en",
) -> int:
    """Issue a portal sign-in link for the account's contact with this address and queue
    its mail, in `language` (the portal page's: "en" or "sv"); how many were queued (0 for
    an unknown address, which the caller must not tell apart). RateLimited when the
    address or the client asked too often."""
    issued = portal.request_link(uow, account_id, email, client, policy)
    if issued is None:
        return 0
    account = accounts.get_account(uow, account_id)
    link = f"{base_url.rstrip('/')}{PORTAL_PATH}{account.public_id}/signin/{issued.token}"
    return _queue_portal_mail(uow, issued, account.name, link, language)


def _queue_portal_mail(
    uow: MailUnit, issued: LinkIssued, account_name: str, link: str, language: str
) -> int:
    contact = issued.contact
    words = _portal_link_words(language, contact.name, account_name)
    until = _until(issued.expires)
    body = f"{words.greeting}\n\n{words.intro}\n{words.once.format(until=until)}\n\n{link}\n\n"
    body += f"{words.ignore}\n"
    mail = LinkMail(PORTAL_LINK, contact.email, words.subject, body)
    return _queue_link_mail(uow, portal.customer_actor(contact), mail, issued.token)
