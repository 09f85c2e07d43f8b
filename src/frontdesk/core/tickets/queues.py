"""The agents' queues: views, their counts, filters and search combined, keyset pages.

A view is a named starting query (Mine, Unassigned, All open, Pending, On hold, Solved,
one per inbox, one per label); filters narrow it further, and a search adds the words the
InboxOps search matches (core.tickets.search, storage's search tables). Pages walk a
keyset in the chosen sort (latest activity, created, priority), so page 400 costs what
page 1 does. Counts read at most COUNT_CAP + 1 index entries each, so a view of any size
is counted in about the same time; past the cap it reads "1,000+".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import MAX_ROW_ID, Actor
from frontdesk.core.tickets._lookup import get_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    UNASSIGNED,
    Archived,
    QueueEntry,
    Sort,
    Status,
    Ticket,
    TicketQuery,
)

COUNT_CAP = 1000
MAX_PAGE = 100
TICKET_READ = events.TICKET_READ


class ViewKind(StrEnum):
    MINE = "mine"  # open, assigned to me
    UNASSIGNED = "unassigned"  # open, nobody assigned
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on-hold"
    SOLVED = "solved"
    INBOX = "inbox"  # open, in one inbox
    LABEL = "label"  # open, with one label
    ALL = "all"  # every live ticket, whatever its status


@dataclass(frozen=True, slots=True)
class View:
    kind: ViewKind
    value: str = ""  # the inbox id or the label

    @property
    def key(self) -> str:
        """How a view is written in a URL: `mine`, `inbox:3`, `label:vip`."""
        return f"{self.kind.value}:{self.value}" if self.value else self.kind.value


FIXED_VIEWS = tuple(
    View(kind)
    for kind in (
        ViewKind.MINE,
        ViewKind.UNASSIGNED,
        ViewKind.OPEN,
        ViewKind.PENDING,
        ViewKind.ON_HOLD,
        ViewKind.SOLVED,
    )
)


def parse_view(text: str) -> View:
    kind_text, _, value = text.strip().partition(":")
    try:
        kind = ViewKind(kind_text)
    except ValueError:
        raise Invalid("invalid_view", f"No view {text[:40]!r}", field="view") from None
    if kind is ViewKind.INBOX and not (
        value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ROW_ID
    ):
        raise Invalid("invalid_view", "An inbox view names an inbox id", field="view")
    if kind is ViewKind.LABEL and not value.strip():
        raise Invalid("invalid_view", "A label view names a label", field="view")
    if kind not in (ViewKind.INBOX, ViewKind.LABEL):
        value = ""
    return View(kind, value[:200])


def view_query(view: View, agent_id: int | None) -> TicketQuery:
    """The query a view starts from; merged tickets never show in a queue.

    A merged ticket is closed (threads.merge), so a view of open or solved tickets leaves
    it out by its status alone; only the all-tickets view says so in a condition, which
    would otherwise cost every count a read of each ticket's row beside its index entry.
    """
    open_ = frozenset(OPEN_STATUSES)
    base = TicketQuery()
    if view.kind is ViewKind.MINE:
        return replace(base, statuses=open_, assignee=agent_id if agent_id else UNASSIGNED)
    if view.kind is ViewKind.UNASSIGNED:
        return replace(base, statuses=open_, assignee=UNASSIGNED)
    if view.kind is ViewKind.INBOX:
        return replace(base, statuses=open_, inbox_id=int(view.value))
    if view.kind is ViewKind.LABEL:
        return replace(base, statuses=open_, labels=(view.value,))
    if view.kind is ViewKind.ALL:
        return replace(base, merged=False)
    single = {
        ViewKind.PENDING: Status.PENDING,
        ViewKind.ON_HOLD: Status.ON_HOLD,
        ViewKind.SOLVED: Status.SOLVED,
    }
    return replace(base, statuses=frozenset({single[view.kind]}) if view.kind in single else open_)


def narrowed(query: TicketQuery, filters: TicketQuery) -> TicketQuery | None:
    """A view's query with the filters on top; None when they leave nothing to match.

    Statuses intersect with the view's; labels and tags add to its; an inbox, assignee or
    priority filter replaces the view's; words and date ranges come from the filters.
    """
    statuses = query.statuses
    if filters.statuses:
        statuses = (statuses & filters.statuses) if statuses else filters.statuses
        if not statuses:
            return None
    return replace(
        query,
        statuses=statuses,
        priority=filters.priority or query.priority,
        tags=tuple(dict.fromkeys((*query.tags, *filters.tags))),
        labels=tuple(dict.fromkeys((*query.labels, *filters.labels))),
        assignee=filters.assignee if filters.assignee is not None else query.assignee,
        inbox_id=filters.inbox_id if filters.inbox_id is not None else query.inbox_id,
        words=filters.words,
        created=filters.created,
        updated=filters.updated,
    )


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket: Ticket
    requester_name: str | None
    requester_email: str | None
    inbox_name: str | None
    labels: tuple[str, ...]
    tags: tuple[str, ...]
    assignee_ids: tuple[int, ...]
    unread: bool  # the customer wrote after the agent last read it
    sla_due: int | None = None  # the soonest due time of its counting SLA clocks
    sla_breached: bool = False


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None  # the page after this one
    previous_cursor: str | None  # the page before it (None on the first page)


def cursor_of(entry: QueueEntry, sort: Sort) -> str:
    """A row's position in `sort`, as the URL carries it: its key values joined by dots."""
    ticket = entry.ticket
    if sort is Sort.DUE:
        values: tuple[int, ...] = (entry.sla_due or 0, ticket.id)
    elif sort is Sort.ACTIVITY:
        values = (ticket.latest_activity, ticket.id)
    elif sort is Sort.CREATED:
        values = (ticket.created, ticket.id)
    else:
        values = (PRIORITY_RANK[ticket.priority], ticket.latest_activity, ticket.id)
    return ".".join(str(value) for value in values)


def parse_cursor(text: str | None, sort: Sort) -> tuple[int, ...] | None:
    if not text:
        return None
    size = 3 if sort is Sort.PRIORITY else 2
    parts = text.split(".")
    if len(parts) != size or not all(p.isdigit() and len(p) <= 15 for p in parts):
        raise Invalid("invalid_cursor", "The page link is not valid", field="after")
    return tuple(int(part) for part in parts)


def page(
    uow: TicketsUnit,
    actor: Actor,
    query: TicketQuery,
    sort: Sort,
    *,
    after: str | None = None,
    before: str | None = None,
    limit: int = 25,
) -> QueuePage:
    """One page of the queue: its rows with what the list shows, and the cursors around it.

    Two statements whatever the page size: the page (with inbox names, requesters and the
    agent's read marks), then the page's labels, tags and assignees.
    """
    _check(actor, limit)
    if query.archived is not Archived.EXCLUDE:
        raise Invalid("invalid_view", "The queue shows live tickets only", field="view")
    after_key, before_key = parse_cursor(after, sort), parse_cursor(before, sort)
    entries = uow.listing.page_tickets(
        actor.account_id, query, sort, after=after_key, before=None if after_key else before_key,
        limit=limit + 1, agent_id=actor.agent_id,
    )  # fmt: skip
    backwards = before_key is not None and after_key is None
    more = len(entries) > limit
    entries = (entries[1:] if backwards else entries[:limit]) if more else entries
    rows = _rows(uow, entries)
    first_page = not backwards and after_key is None
    return QueuePage(
        rows=rows,
        next_cursor=cursor_of(entries[-1], sort) if entries and (more or backwards) else None,
        previous_cursor=None
        if first_page or not entries or (backwards and not more)
        else cursor_of(entries[0], sort),
    )


def _check(actor: Actor, limit: int) -> None:
    """Agents and API keys page the account's tickets (a key has no read marks: every
    ticket its customer answered reads as unread); a customer token does not."""
    if actor.contact_id is not None:
        raise Forbidden("agents_only", "Only agents have queues")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_PAGE}", field="limit")


def _rows(uow: TicketsUnit, entries: Sequence[QueueEntry]) -> list[QueueRow]:
    details = uow.tickets.ticket_details([entry.ticket.id for entry in entries]) if entries else {}
    return [
        QueueRow(
            ticket=entry.ticket,
            requester_name=entry.requester_name,
            requester_email=entry.requester_email,
            inbox_name=entry.inbox_name,
            labels=details[entry.ticket.id].labels,
            tags=details[entry.ticket.id].tags,
            assignee_ids=details[entry.ticket.id].assignee_ids,
            unread=is_unread(entry.ticket, entry.read_at),
            sla_due=entry.sla_due,
            sla_breached=entry.sla_breached,
        )
        for entry in entries
    ]


def is_unread(ticket: Ticket, read_at: int | None) -> bool:
    replied = ticket.client_last_replied
    return replied is not None and (read_at is None or read_at < replied)


@dataclass(frozen=True, slots=True)
class Count:
    value: int
    exact: bool  # False: at least `value` (COUNT_CAP)


def count(uow: TicketsUnit, actor: Actor, query: TicketQuery) -> Count:
    found = uow.listing.count_found_tickets(actor.account_id, query, up_to=COUNT_CAP + 1)
    return Count(min(found, COUNT_CAP), found <= COUNT_CAP)


@dataclass(frozen=True, slots=True)
class Views:
    """The views an agent's left column lists: the fixed ones, inboxes, labels."""

    fixed: tuple[View, ...]
    inboxes: Mapping[int, str]  # id -> name, of the inboxes the agent may work in
    labels: tuple[str, ...]


def views_of(
    uow: TicketsUnit,
    actor: Actor,
    agent_inbox_ids: Sequence[int],
    inbox_names: Mapping[int, str] | None = None,
) -> Views:
    """The agent's views. An agent with no inboxes named may work in all of the account's.

    `inbox_names` (id -> name), when the caller has read the account's inboxes already
    in this transaction, saves reading them again.
    """
    names: Mapping[int, str]
    if inbox_names is None:
        names, labels = uow.listing.view_names(actor.account_id)
    else:
        names, labels = inbox_names, uow.listing.account_labels(actor.account_id)
    allowed = set(agent_inbox_ids) or set(names)
    inboxes = {inbox_id: name for inbox_id, name in sorted(names.items()) if inbox_id in allowed}
    return Views(FIXED_VIEWS, inboxes, tuple(labels))


def counts(uow: TicketsUnit, actor: Actor, views: Views) -> dict[str, Count]:
    """Every listed view's count, by view key."""
    every = [
        *views.fixed,
        *(View(ViewKind.INBOX, str(inbox_id)) for inbox_id in views.inboxes),
        *(View(ViewKind.LABEL, label) for label in views.labels),
    ]
    return {view.key: count(uow, actor, view_query(view, actor.agent_id)) for view in every}


def mark_read(uow: TicketsUnit, actor: Actor, ticket_id: int) -> bool:
    """The agent has read the ticket; written only when the customer wrote since the last
    time (so reading a ticket again costs no write). True when something was written."""
    if actor.agent_id is None:
        return False
    ticket = get_ticket(uow, actor, ticket_id)
    read_at = uow.reads.read_times(actor.agent_id, [ticket.id]).get(ticket.id)
    if not is_unread(ticket, read_at):
        return False
    now = now_ms()
    uow.reads.mark_read(actor.agent_id, ticket.id, now)
    events.record(uow, actor, TICKET_READ, now, ticket_id=ticket.id, agent_id=actor.agent_id)
    return True
