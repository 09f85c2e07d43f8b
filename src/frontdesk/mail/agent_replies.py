"""Agents answer by e-mail: a signed, per-agent, per-ticket reply address.

A notification mail about a ticket sent to an agent (core/notify/mails.py) carries as
Reply-To (set by the outbox worker, which holds the secret)
the inbox's address with a plus token, `support+r<agent>-<ticket>-<hmac20>@example.com`.
The HMAC (SHA-256 under a key derived from the server's secret, 80 bits shown) binds
account, agent and ticket, so the address can be neither forged nor moved to another
agent, ticket or account. Mail to such an address is taken only when:

1. the token's HMAC is right (compared in constant time);
2. the agent exists in the inbox's account, the ticket too;
3. the mail's From is the agent's own address, and that From is verified as for any mail
   (docs/mail.md, "Forged senders": the MTA's DKIM/DMARC results, or the SMTP envelope's
   domain): the token alone is a capability anyone the copy was forwarded to would hold,
   and From alone is never trusted.

It then becomes the agent's reply, e-mailed to the customer, or, when the agent's own
text starts with `#note`, an internal note (the keyword removed). The agent's own text
is what stands before the quoted copy and the signature (core/mail/quoting.py). Anything
else is refused: the mail is quarantined with the reason, for admins to see.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.mail import quoting, replies
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.replies import NOTE_KEYWORD
from frontdesk.core.shared.addresses import is_address, normalise_address
from frontdesk.core.shared.errors import DomainError
from frontdesk.core.shared.html import html_to_text
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import get_ticket
from frontdesk.mail.parse import ParsedMail

_TOKEN = re.compile(r"^r(\d{1,9})-(\d{1,12})-([0-9a-f]{20})$")
_MAC_LENGTH = 20


class Refused(Exception):
    """Mail to an agent reply address that is not taken; the reason goes on its receipt."""


@dataclass(frozen=True)
class Taken:
    ticket_id: int
    message_id: int
    internal: bool


def is_agent_token(token: str | None) -> bool:
    """Whether a plus-address token is meant as an agent reply address (valid or not):
    ticket tokens are digits first, these start with `r`."""
    return bool(token) and token[0] in "rR"  # type: ignore[index]


class AgentReplyTokens:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"frontdesk agent reply\x00" + secret.encode()).digest()

    def _mac(self, account_id: int, agent_id: int, ticket_id: int) -> str:
        data = f"{account_id}:{agent_id}:{ticket_id}".encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()[:_MAC_LENGTH]

    def address(self, inbox_email: str, account_id: int, agent_id: int, ticket_id: int) -> str:
        local, _, domain = inbox_email.rpartition("@")
        mac = self._mac(account_id, agent_id, ticket_id)
        return f"{local}+r{agent_id}-{ticket_id}-{mac}@{domain}"

    def named(self, account_id: int, token: str) -> tuple[int, int] | None:
        """(agent id, ticket id) when the token is this account's and unaltered."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        agent_id, ticket_id, mac = int(match[1]), int(match[2]), match[3]
        if not hmac.compare_digest(self._mac(account_id, agent_id, ticket_id), mac):
            return None
        return agent_id, ticket_id


def take(
    uow: MailUnit, account_id: int, token: str, parsed: ParsedMail, tokens: AgentReplyTokens
) -> Taken:
    """The mail as the agent's reply or note on the ticket; raises Refused with the reason."""
    named = tokens.named(account_id, token.lower())
    if named is None:
        raise Refused("agent reply address forged or altered (its signature does not match)")
    agent = accounts.find_agent(uow, account_id, named[0])
    if agent is None:
        raise Refused("agent reply address names no agent of this account")
    _check_sender(agent, parsed)
    text, internal = own_text(parsed)
    if not text:
        raise Refused("agent reply has no text of its own above the quoted mail")
    actor: Actor = agent_actor(agent)
    try:
        get_ticket(uow, actor, named[1])
        posted = replies.post(
            uow,
            actor,
            named[1],
            replies.TeamMessage(body_text=text, internal=internal, send_email=not internal),
        )
    except DomainError as exc:
        raise Refused(f"agent reply refused: {exc.message}") from exc
    return Taken(named[1], posted.message.id, internal)


def _check_sender(agent: Agent, parsed: ParsedMail) -> None:
    sender = parsed.from_address
    if sender is None or not is_address(sender):
        raise Refused("agent reply has no valid From address")
    if normalise_address(sender) != normalise_address(agent.email):
        raise Refused("agent reply address used from an address that is not the agent's")


def own_text(parsed: ParsedMail) -> tuple[str, bool]:
    """What the agent wrote (before the quoted copy and the signature), and whether it
    asks for an internal note (`#note` first, removed)."""
    marked = parsed.html if parsed.html is not None else quoting.mark_text(parsed.text)
    text = html_to_text(quoting.sections(marked).message).strip()
    if text[: len(NOTE_KEYWORD)].lower() == NOTE_KEYWORD:
        return text[len(NOTE_KEYWORD) :].strip(), True
    return text, False
