"""Delivery reports on our own mail: the outbox row is marked, the ticket says so.

A bounce never becomes a ticket. The transport (mail/inbound.py) decides that a mail is a
report and finds the row it reports on; this records what it said.
"""

from __future__ import annotations

from frontdesk.core.mail.outbox import FAILED, MAIL_FAILED
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared import events
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import get_ticket, log

LASTING = "failed"  # the report's action: the mail is lost
PASSING = "delayed"  # the reporting server is still trying


def report(
    uow: MailUnit, actor: Actor, mail: OutboxMail, action: str, reason: str, now: int
) -> None:
    """Record a report on `mail`: a lasting failure marks the row failed with the reason
    (even if the relay had taken it: 'sent' only meant our relay had it); a delay only says
    so on the ticket. Either way the ticket's thread shows it and its status is kept."""
    if action not in (LASTING, PASSING):
        return  # a success notice: the row and the ticket stay as they are
    recipients = ", ".join((*mail.to, *mail.cc)) or "the recipients"
    if action == LASTING:
        uow.mail.update_outbox(
            mail.id, {"status": FAILED, "last_error": f"bounced: {reason}"[:2000]}
        )
        line = f"E-mail to {recipients} bounced: {reason}"
    else:
        line = f"E-mail to {recipients} is delayed, the receiving side still tries: {reason}"
    if mail.ticket_id is None:
        return
    ticket = get_ticket(uow, actor, mail.ticket_id)
    said = log(uow, actor, ticket, line[:2000], now)
    if action == LASTING:
        # The line's id: the agents' notification of it quotes it (core.notify.derive).
        events.record(uow, actor, MAIL_FAILED, now, ticket_id=ticket.id, outbox_id=mail.id,
                      error=reason[:500], message_id=said.id)  # fmt: skip
