"""Listing tickets and e-mails page by page: filters and keyset cursors the dialects fill.

Pages walk a stable key, never a value that changes: tickets go by id, e-mails by
(created, id), which a message never changes. A row that exists throughout a walk and
matches its filters throughout is therefore seen exactly once, whatever is created or
updated between pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.paging import Page, Window
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import Thread, load_thread
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    EmailCursor,
    ListedEmail,
    ListedTicket,
    TicketFilter,
)

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket's whole thread plus the agents assigned to it."""

    thread: Thread
    assignees: Mapping[int, Agent]


def _check(actor: Actor, limit: int) -> None:
    if actor.contact_id is not None:
        raise Forbidden("customer_token", "A customer token cannot list the account's tickets")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_PAGE}", field="limit")


def _check_window(window: Window, what: str) -> None:
    if window.start is not None and window.end is not None and window.start > window.end:
        raise Invalid("empty_window", f"The {what} range ends before it starts", field=what)


def list_tickets(
    uow: TicketsUnit, actor: Actor, filters: TicketFilter, *, after_id: int, limit: int
) -> Page[ListedTicket]:
    """Up to `limit` tickets with id > after_id, in id order, and whether more follow."""
    _check(actor, limit)
    _check_window(filters.updated, "updated")
    _check_window(filters.latest_activity, "latestUpdated")
    rows = uow.listing.list_tickets(actor.account_id, filters, after_id=after_id, limit=limit + 1)
    return Page(rows[:limit], len(rows) > limit)


def list_emails(
    uow: TicketsUnit, actor: Actor, window: Window, *, after: EmailCursor | None, limit: int
) -> Page[ListedEmail]:
    """Up to `limit` e-mails created in the window, in (created, id) order, after the cursor."""
    _check(actor, limit)
    _check_window(window, "time")
    rows = uow.listing.list_emails(actor.account_id, window, after=after, limit=limit + 1)
    return Page(rows[:limit], len(rows) > limit)


def view_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int) -> TicketView:
    thread = load_thread(uow, actor, ticket_id)
    return TicketView(
        thread, accounts.agents_by_id(uow, actor.account_id, thread.details.assignee_ids)
    )
