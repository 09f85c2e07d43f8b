"""Which ticket an inbound mail belongs to.

In order: In-Reply-To / References naming a message Frontdesk received or sent in this
account; a valid ticket tag in the subject; a valid plus-address token. A mail whose
sender could not be verified follows only the last two, which are signed. A merged ticket
sends its mail on to the ticket it was merged into; a ticket an agent force-closed takes
no more customer mail, so the mail opens a new ticket instead. None means a new ticket
(where the insertTicket append-to-open rule may still join the sender's open ticket).
"""

from __future__ import annotations

from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.tickets.records import Ticket
from frontdesk.mail.parse import ParsedMail
from frontdesk.mail.tokens import TicketTokens

MAX_IDS = 50  # Message-IDs looked up per mail; References can be very long
MAX_MERGE_HOPS = 20


def thread_of(
    uow: MailUnit,
    account_id: int,
    mail: ParsedMail,
    tokens: TicketTokens,
    plus_token: str | None = None,
    *,
    signed_only: bool = False,
) -> Ticket | None:
    """`signed_only`: follow only the signed references (tag, token), for a mail whose
    sender could not be verified: Message-IDs are no secret (anyone in Cc has them)."""
    ticket_id = None if signed_only else _by_message_ids(uow, account_id, mail)
    if ticket_id is None:
        number = tokens.number_in_subject(account_id, mail.subject)
        if number is None:
            number = tokens.number_in_token(account_id, plus_token)
        if number is not None:
            ticket_id = uow.mail.ticket_id_by_number(account_id, number)
    if ticket_id is None:
        return None
    ticket = _follow_merges(uow, account_id, ticket_id)
    if ticket is None or ticket.force_closed:
        return None
    return ticket


def _by_message_ids(uow: MailUnit, account_id: int, mail: ParsedMail) -> int | None:
    # The direct parent first, then References from the most recent back.
    wanted = list(dict.fromkeys((*mail.in_reply_to, *reversed(mail.references))))
    return uow.mail.ticket_by_email_message_ids(account_id, wanted[:MAX_IDS])


def _follow_merges(uow: MailUnit, account_id: int, ticket_id: int) -> Ticket | None:
    ticket = uow.tickets.get_ticket(account_id, ticket_id)
    for _hop in range(MAX_MERGE_HOPS):
        if ticket is None or ticket.merged_into_id is None:
            return ticket
        ticket = uow.tickets.get_ticket(account_id, ticket.merged_into_id)
    return None
