"""Listing tickets and e-mails page by page: filters and keyset cursors the dialects fill.

Pages walk a stable key, never a value that changes: tickets go by id, e-mails by
(created, id), which a message never changes. A row that exists throughout a walk and
matches its filters throughout is therefore seen exactly once, whatever is created or
updated between pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from frontdesk.core.errors import Forbidden, Invalid
from frontdesk.core.models import Actor, Agent, Status, Ticket
from frontdesk.core.ports import Repo
from frontdesk.core.tickets import Thread, load_thread

MAX_PAGE = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive range of millisecond timestamps; None leaves that side open."""

    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class TicketFilter:
    updated: Window = Window()
    latest_activity: Window = Window()
    requester_email: str | None = None
    status: Status | None = None
    labels: tuple[str, ...] = ()  # any of them


@dataclass(frozen=True, slots=True)
class ListedTicket:
    """A ticket as a list shows it: with its inbox's name, requester address and labels."""

    ticket: Ticket
    inbox_name: str | None
    requester_email: str | None
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EmailCursor:
    created: int
    id: int


@dataclass(frozen=True, slots=True)
class ListedEmail:
    """One e-mail sent or received on a ticket: an external message with an address."""

    id: int
    ticket_id: int
    created: int
    from_email: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    inbox_name: str | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    more: bool  # rows follow the last item


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
    repo: Repo, actor: Actor, filters: TicketFilter, *, after_id: int, limit: int
) -> Page[ListedTicket]:
    """Up to `limit` tickets with id > after_id, in id order, and whether more follow."""
    _check(actor, limit)
    _check_window(filters.updated, "updated")
    _check_window(filters.latest_activity, "latestUpdated")
    rows = repo.list_tickets(actor.account_id, filters, after_id=after_id, limit=limit + 1)
    return Page(rows[:limit], len(rows) > limit)


def list_emails(
    repo: Repo, actor: Actor, window: Window, *, after: EmailCursor | None, limit: int
) -> Page[ListedEmail]:
    """Up to `limit` e-mails created in the window, in (created, id) order, after the cursor."""
    _check(actor, limit)
    _check_window(window, "time")
    rows = repo.list_emails(actor.account_id, window, after=after, limit=limit + 1)
    return Page(rows[:limit], len(rows) > limit)


def view_ticket(repo: Repo, actor: Actor, ticket_id: int) -> TicketView:
    thread = load_thread(repo, actor, ticket_id)
    return TicketView(thread, repo.get_agents(actor.account_id, thread.details.assignee_ids))
