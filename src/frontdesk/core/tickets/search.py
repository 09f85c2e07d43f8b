"""Finding an account's tickets: filters, full-text words, offset pages and a total.

A search query is cut into words the same way on every backend (runs of letters and
digits; punctuation and spaces separate them), and a ticket matches when each word occurs
as a whole word in its subject or in one of its replies or notes. Log lines written by the
system are not searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.core import contacts
from frontdesk.core import tickets as core_tickets
from frontdesk.core.contacts.records import Contact
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Attachment, Message, Ticket, TicketDetails, TicketQuery

MAX_LIMIT = 500
MAX_OFFSET = 100_000  # offset pages cost their depth; deeper than this, filter instead
MAX_SEARCH = 500  # characters
MAX_WORDS = 20
MAX_WORD = 100  # characters; PostgreSQL ignores words over 2047 bytes
# A search's total is exact up to here; past it, counting every match of a common word
# would cost more than the page itself (PostgreSQL visits each match's row). See
# docs/inboxops.md: the total then says "at least this many".
SEARCH_TOTAL_CAP = 1000
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Found:
    """One page of tickets, what a list shows of each, and how many match in all."""

    tickets: list[Ticket]
    details: Mapping[int, TicketDetails]  # tags and assignees only: what a list shows
    requesters: Mapping[int, Contact]
    merged_into: Mapping[int, str]  # ticket id -> UUID of the ticket it was merged into
    total: int
    total_exact: bool = True  # False: at least `total` match (a search past its cap)


@dataclass(frozen=True, slots=True)
class Described:
    """One ticket with what a detail view shows; `messages` only when asked for."""

    ticket: Ticket
    details: TicketDetails
    requester: Contact | None
    merged_into: str | None
    messages: list[Message]
    attachments: Mapping[int, list[Attachment]]


def search_words(text: str | None) -> tuple[str, ...]:
    """The distinct words of a search, in order; none for a blank or absent search."""
    if text is None or not text.strip():
        return ()
    if len(text) > MAX_SEARCH:
        raise Invalid(
            "invalid_search", f"search is longer than {MAX_SEARCH} characters", field="search"
        )
    composed = unicodedata.normalize("NFC", text)  # an accent typed apart stays in its word
    words = tuple(dict.fromkeys(word.lower() for word in _WORD.findall(composed)))
    if not words:
        raise Invalid("invalid_search", "search contains no words to look for", field="search")
    if len(words) > MAX_WORDS:
        raise Invalid("invalid_search", f"search has more than {MAX_WORDS} words", field="search")
    if any(len(word) > MAX_WORD for word in words):
        raise Invalid(
            "invalid_search", f"search words are at most {MAX_WORD} characters", field="search"
        )
    return words


def find_tickets(
    uow: TicketsUnit, actor: Actor, query: TicketQuery, *, offset: int, limit: int
) -> Found:
    """A page of matching tickets, newest first, with the number of all that match."""
    if actor.contact_id is not None:
        raise Forbidden("customer_token", "A customer token cannot list the account's tickets")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(
            "invalid_offset", f"offset must be between 0 and {MAX_OFFSET}", field="offset"
        )
    counted: int | None = None
    if query.words:
        tickets, counted = uow.listing.find_counted_tickets(
            actor.account_id, query, offset=offset, limit=limit, up_to=SEARCH_TOTAL_CAP + 1
        )
    else:
        tickets = uow.listing.find_tickets(actor.account_id, query, offset=offset, limit=limit)
    total, exact = _total(uow, actor, query, (offset, len(tickets), limit), counted)
    requester_ids = sorted({ticket.requester_id for ticket in tickets if ticket.requester_id})
    return Found(
        tickets=tickets,
        details=uow.tickets.tags_and_assignees([ticket.id for ticket in tickets]),
        requesters=uow.listing.requesters_of(actor.account_id, requester_ids),
        merged_into=_merge_targets(uow, actor, tickets),
        total=total,
        total_exact=exact,
    )


def _total(
    uow: TicketsUnit,
    actor: Actor,
    query: TicketQuery,
    page: tuple[int, int, int],
    counted: int | None,
) -> tuple[int, bool]:
    """The total and whether it is exact; `counted` is a search's capped count when the
    backend read it with the page (PostgreSQL), so that it is not read twice."""
    offset, found, limit = page
    if found < limit and (found or offset == 0):
        return offset + found, True  # the page ends the list: nothing left to count
    if not query.words:
        return uow.listing.count_found_tickets(actor.account_id, query), True
    if counted is None:
        counted = uow.listing.count_found_tickets(
            actor.account_id, query, up_to=SEARCH_TOTAL_CAP + 1
        )
    if counted <= SEARCH_TOTAL_CAP:
        return counted, True
    return max(SEARCH_TOTAL_CAP, offset + found), False


def _merge_targets(uow: TicketsUnit, actor: Actor, tickets: list[Ticket]) -> dict[int, str]:
    target_ids = sorted({t.merged_into_id for t in tickets if t.merged_into_id is not None})
    if not target_ids:
        return {}
    targets = uow.tickets.get_tickets(actor.account_id, target_ids)
    return {
        t.id: targets[t.merged_into_id].uuid
        for t in tickets
        if t.merged_into_id is not None and t.merged_into_id in targets
    }


def describe(uow: TicketsUnit, actor: Actor, ticket_id: int, *, thread: bool = False) -> Described:
    """A fixed number of reads: the ticket, its details, requester, merge target, thread."""
    if thread:
        loaded = core_tickets.load_thread(uow, actor, ticket_id)
        ticket, details = loaded.ticket, loaded.details
        messages, attachments = loaded.messages, loaded.attachments
    else:
        ticket = core_tickets.get_ticket(uow, actor, ticket_id)
        details, messages, attachments = core_tickets.details_of(uow, ticket), [], {}
    requester = (
        contacts.find_contact(uow, actor.account_id, ticket.requester_id)
        if ticket.requester_id
        else None
    )
    return Described(
        ticket=ticket,
        details=details,
        requester=requester,
        merged_into=_merge_targets(uow, actor, [ticket]).get(ticket.id),
        messages=messages,
        attachments=attachments,
    )
