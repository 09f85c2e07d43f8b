"""Mail the system sends to agents (not on a ticket): password reset links.

The identity area issues the reset (it cannot import mail); this area queues the mail in
the same transaction, through the outbox, so the link is sent if and only if it exists.
The mail leaves from the account's first inbox, like any other mail of the account.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.sessions import Client, Policy, ResetIssued
from frontdesk.core.mail.outbox import MAIL_QUEUED, PASSWORD_RESET, QUEUED, new_message_id
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms

log = logging.getLogger(__name__)
RESET_PATH = "/login/reset/"


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


def _queue_reset_mail(uow: MailUnit, issued: ResetIssued, link: str) -> int:
    agent = issued.agent
    inboxes = accounts.inboxes_of(uow, agent.account_id)
    if not inboxes:
        log.warning("account %s has no inbox to send a password reset from", agent.account_id)
        return 0
    sender = min(inboxes, key=lambda inbox: inbox.id)
    account = accounts.get_account(uow, agent.account_id)
    until = datetime.fromtimestamp(issued.expires / 1000, tz=UTC).strftime("%H:%M UTC")
    body = (
        f"Hello {agent.name},\n\n"
        f"someone (we hope you) asked to reset your Frontdesk password for {account.name}.\n"
        f"Choose a new password here (the link works once, until {until}):\n\n{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    now = now_ms()
    outbox_id = uow.mail.queue_mail(
        {
            "account_id": agent.account_id,
            "ticket_id": None,
            "message_id": None,
            "kind": PASSWORD_RESET,
            "from_addr": sender.email,
            "to_addr": agent.email,
            "to_addrs": agent.email,
            "subject": "Reset your Frontdesk password",
            "body": body,
            "email_message_id": new_message_id(sender.email),
            "status": QUEUED,
            "attempts": 0,
            "next_attempt": now,
            "created": now,
            "dedupe_key": f"{PASSWORD_RESET}:{issued.token.split('.')[0]}",
        }
    )
    if outbox_id is None:
        return 0
    actor = sessions.agent_actor(agent)
    events.record(uow, actor, MAIL_QUEUED, now, outbox_id=outbox_id, kind=PASSWORD_RESET)
    return 1
