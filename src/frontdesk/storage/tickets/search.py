"""Filtered, searched and counted ticket lists (the InboxOps list), and lookups by UUID.

Search reads the per-ticket documents that migration 0006 keeps in step with triggers:
an FTS5 table on SQLite, a tsvector with a GIN index on PostgreSQL. Both are read first
and joined to tickets by id, so a rare word costs a handful of rows whatever the size of
the account. Pages run newest first (by id, which follows creation), the order the FTS5
index can deliver without sorting; a page and its total are two statements, plus the
batched details the caller loads for the page. On PostgreSQL a search's page and its
capped total are one statement, and the search rows carry their ticket's account and
archived state (0080): a search with no other filter reads `tickets` for the page only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    exists,
    func,
    not_,
    null,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join

from frontdesk.core.contacts.records import Contact
from frontdesk.core.tickets.records import (
    UNASSIGNED,
    Archived,
    QueueEntry,
    Sort,
    Ticket,
    TicketQuery,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import contact_from_row, within
from frontdesk.storage.tickets.rows import ticket_from_row

# The search objects as query targets only: they are not part of `tables.metadata`, whose
# tables the migrations must match (see SEARCH_TABLES in tables.py).
_search = MetaData()


# SQLite: the FTS5 table; the hidden column named like the table is the MATCH target.
_fts = Table("ticket_search", _search, Column("rowid", Integer), Column("ticket_search", Text))


_pg_search = MetaData()


# PostgreSQL: one row per ticket, with the ticket's account and archived state beside its
# document (0080), so that the search list's default filters need no look at `tickets`.
_tsv = Table(
    "ticket_search",
    _pg_search,
    Column("ticket_id", Integer),
    Column("account_id", Integer),
    Column("archived", Boolean),
    Column("document", TSVECTOR),
)


class _LeadingJoin(Join):
    """An inner join whose left side SQLite must scan first.

    Left to choose, SQLite (which has no statistics here) walks the account's tickets and
    probes the FTS index once per ticket: seconds at 100,000 tickets. CROSS JOIN is
    SQLite's documented way to fix the order; every other backend reads a plain JOIN.
    """

    inherit_cache = True


@compiles(_LeadingJoin, "sqlite")
def _cross_join(element: _LeadingJoin, compiler: SQLCompiler, **kw: Any) -> str:
    assert element.onclause is not None  # built with one in _matching
    kw["asfrom"] = True
    left = compiler.process(element.left, **kw)
    right = compiler.process(element.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(element.onclause, **kw)}"


# Each queue sort: its keyset columns (descending) and the partial index that walks them.
_QUEUE_ORDER = {
    Sort.ACTIVITY: (("latest_activity", "id"), "ix_tickets_queue_activity"),
    Sort.CREATED: (("created", "id"), "ix_tickets_queue_created"),
    Sort.PRIORITY: (("priority_rank", "latest_activity", "id"), "ix_tickets_queue_priority"),
}


def _label_view(query: TicketQuery) -> bool:
    """The shape of a label view: one label, some statuses, live tickets, nothing else."""
    plain = TicketQuery(statuses=query.statuses, labels=query.labels)
    return len(query.labels) == 1 and bool(query.statuses) and query == plain


def _beside(agent_id: int | None) -> list[Any]:
    """What a queue row shows beside the ticket, as scalar subqueries on its row."""
    tk, inbox, contact, read = t.tickets, t.inboxes, t.contacts, t.ticket_reads
    sla = t.ticket_sla.alias("q_sla")  # not the due order's own join, which it would correlate to
    requester = contact.c.id == tk.c.requester_id
    return [
        select(inbox.c.name)
        .where(inbox.c.id == tk.c.inbox_id)
        .scalar_subquery()
        .label("q_inbox_name"),
        select(contact.c.name).where(requester).scalar_subquery().label("q_requester_name"),
        select(contact.c.email).where(requester).scalar_subquery().label("q_requester_email"),
        (
            select(read.c.read_at)
            .where(read.c.agent_id == agent_id, read.c.ticket_id == tk.c.id)
            .scalar_subquery()
            if agent_id is not None
            else null()
        ).label("q_read_at"),
        select(sla.c.due).where(sla.c.ticket_id == tk.c.id).scalar_subquery().label("q_sla_due"),
        select(sla.c.breached)
        .where(sla.c.ticket_id == tk.c.id)
        .scalar_subquery()
        .label("q_sla_breached"),
    ]


def fts5_query(words: Sequence[str]) -> str:
    """Every word as a quoted FTS5 string (no operators); juxtaposed strings are ANDed."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def tsquery(words: Sequence[str]) -> str:
    """`w1 & w2 ...` for to_tsquery; words are letters and digits only (core.search)."""
    return " & ".join(words)


def _conditions(account_id: int, query: TicketQuery) -> list[ColumnElement[bool]]:
    tk = t.tickets
    conditions: list[ColumnElement[bool]] = [tk.c.account_id == account_id]
    if query.archived is Archived.EXCLUDE:
        conditions.append(tk.c.archived_at.is_(None))
    elif query.archived is Archived.ONLY:
        conditions.append(tk.c.archived_at.is_not(None))
    if query.statuses:
        conditions.append(tk.c.status.in_(sorted(status.value for status in query.statuses)))
    if query.priority is not None:
        conditions.append(tk.c.priority == query.priority.value)
    if query.inbox_id is not None:
        conditions.append(tk.c.inbox_id == query.inbox_id)
    if not query.merged:
        conditions.append(tk.c.merged_into_id.is_(None))
    conditions += within(tk.c.created, query.created) + within(tk.c.updated, query.updated)
    labels = t.ticket_labels
    for label in query.labels:
        conditions.append(tk.c.id.in_(select(labels.c.ticket_id).where(labels.c.name == label)))
    # Driven from the tag's and the agent's own indexes (name, ticket_id), (agent_id,
    # ticket_id): a few thousand ids at most, where testing every ticket would read them all.
    tags = t.ticket_tags
    for tag in query.tags:
        conditions.append(tk.c.id.in_(select(tags.c.ticket_id).where(tags.c.name == tag)))
    assignees = t.ticket_assignees
    if query.assignee == UNASSIGNED:
        conditions.append(~exists().where(assignees.c.ticket_id == tk.c.id))
    elif query.assignee is not None:
        conditions.append(
            tk.c.id.in_(select(assignees.c.ticket_id).where(assignees.c.agent_id == query.assignee))
        )
    return conditions


class SqlTicketSearch:
    """Tickets by filters and full-text words, newest first, with counts."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int
    ) -> list[Ticket]:
        found = self._found(select(t.tickets), account_id, query)
        # The same order either way; on SQLite, by rowid the FTS index gives it unsorted.
        newest_first = _fts.c.rowid if query.words and self._sqlite else t.tickets.c.id
        rows = self.conn.execute(
            found.order_by(newest_first.desc()).offset(offset).limit(limit)
        ).all()
        return [ticket_from_row(row) for row in rows]

    def find_counted_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int, up_to: int
    ) -> tuple[list[Ticket], int | None]:
        """A page of a search and, read with it, how many match up to `up_to`.

        On PostgreSQL one statement: the newest `up_to` (or `offset + limit`) matching ids
        once, counted, and the page's tickets read by primary key. The count is None where
        it was not read with the page (SQLite, no words, or a page past the end), for the
        caller to ask `count_found_tickets` when it needs one.
        """
        if self._sqlite or not query.words:
            return self.find_tickets(account_id, query, offset=offset, limit=limit), None
        tk = t.tickets
        hits = (
            self._pg_hits(account_id, query)
            .order_by(_tsv.c.ticket_id.desc())
            .limit(max(up_to, offset + limit))
            .cte("hits")
        )
        page = (
            select(hits.c.ticket_id)
            .order_by(hits.c.ticket_id.desc())
            .offset(offset)
            .limit(limit)
            .subquery("page")
        )
        counted = select(func.count()).select_from(hits).scalar_subquery().label("q_found")
        rows = self.conn.execute(
            select(tk, counted)
            .select_from(page.join(tk, tk.c.id == page.c.ticket_id))
            .order_by(tk.c.id.desc())
        ).all()
        if not rows:
            return [], None
        return [ticket_from_row(row) for row in rows], min(int(rows[0].q_found), up_to)

    def _pg_hits(self, account_id: int, query: TicketQuery) -> Select[Any]:
        """The ids of a search's matches, unordered (PostgreSQL).

        A search with no filter but the archived state (the list's default) reads the
        search rows alone: the GIN index gives a rare word's matches, and their rows say
        which are the account's live tickets. Any other filter joins `tickets` as
        `_found` does.
        """
        if query != TicketQuery(words=query.words, archived=query.archived):
            return self._found(select(_tsv.c.ticket_id), account_id, query)
        _, matched = self._matching(query.words)
        own = [_tsv.c.account_id == account_id, matched]
        # `NOT archived` as written, so that the live rows' partial index applies.
        if query.archived is Archived.EXCLUDE:
            own.append(not_(_tsv.c.archived))
        elif query.archived is Archived.ONLY:
            own.append(_tsv.c.archived)
        return select(_tsv.c.ticket_id).where(*own)

    def count_found_tickets(
        self, account_id: int, query: TicketQuery, *, up_to: int | None = None
    ) -> int:
        """How many match; with `up_to`, counting stops there (the rows are not all read)."""
        if up_to is not None and _label_view(query):
            return self._count_by_label(account_id, query, up_to)
        if up_to is None:
            counted = self._found(select(func.count()), account_id, query)
        else:
            first = self._found(select(t.tickets.c.id), account_id, query).limit(up_to)
            counted = select(func.count()).select_from(first.subquery())
        return int(self.conn.execute(counted).scalar_one())

    def _count_by_label(self, account_id: int, query: TicketQuery, up_to: int) -> int:
        """A label view's capped count, walked from the label's own index.

        As a filter (`id IN (the label's tickets)`), both backends first collect every
        ticket of every account with that label, and PostgreSQL prefers hashing them
        against a scan of the tickets: 5-28 ms a label at 100,000 tickets. Here each entry
        of the label's index looks its ticket up by primary key (a scalar subquery, which
        neither backend turns into a hash join), and the walk stops at `up_to` matches.
        """
        tk, label = t.tickets, t.ticket_labels
        status = (
            select(tk.c.status)
            .where(
                tk.c.id == label.c.ticket_id,
                tk.c.account_id == account_id,
                tk.c.archived_at.is_(None),
            )
            .scalar_subquery()
        )
        first = (
            select(label.c.ticket_id)
            .where(
                label.c.name == query.labels[0],
                status.in_(sorted(s.value for s in query.statuses)),
            )
            .limit(up_to)
        )
        counted = select(func.count()).select_from(first.subquery())
        return int(self.conn.execute(counted).scalar_one())

    def page_tickets(
        self,
        account_id: int,
        query: TicketQuery,
        sort: Sort,
        *,
        after: tuple[int, ...] | None,
        before: tuple[int, ...] | None,
        limit: int,
        agent_id: int | None,
    ) -> list[QueueEntry]:
        """A keyset page in `sort` order: newest first (see _QUEUE_ORDER for the indexes),
        or soonest SLA due time first (`_page_by_due`).

        The inbox's name, the requester, the agent's read mark and the SLA due time and
        breach come along as scalar
        subqueries (primary-key lookups for the page's rows only), so a page is one
        statement and the search's own join order stays as it is.
        """
        if sort is Sort.DUE:
            rows = self._page_by_due(account_id, query, after, before, limit, agent_id)
        else:
            rows = self._page_newest(account_id, query, sort, after, before, limit, agent_id)
        entries = [
            QueueEntry(
                ticket_from_row(row), row.q_inbox_name, row.q_requester_name,
                row.q_requester_email, row.q_read_at, row.q_sla_due, bool(row.q_sla_breached),
            )
            for row in rows
        ]  # fmt: skip
        return entries[::-1] if before is not None else entries

    def _page_newest(
        self, account_id: int, query: TicketQuery, sort: Sort, after: tuple[int, ...] | None,
        before: tuple[int, ...] | None, limit: int, agent_id: int | None,
    ) -> Sequence[Any]:  # fmt: skip
        keys, index = _QUEUE_ORDER[sort]
        tk = t.tickets
        columns = [tk.c[name] for name in keys]
        found = self._found(select(tk, *_beside(agent_id)), account_id, query)
        if after is not None:
            found = found.where(tuple_(*columns) < tuple_(*after))
        if before is not None:
            found = found.where(tuple_(*columns) > tuple_(*before))
        if self._sqlite and not query.words and query.archived is Archived.EXCLUDE:
            # SQLite has no statistics here: left alone it may take the status index and sort
            # the whole view. The sort's own index walks in order and stops after a page.
            found = found.with_hint(tk, f"INDEXED BY {index}", "sqlite")
        order = [c.asc() if before is not None else c.desc() for c in columns]
        return self.conn.execute(found.order_by(*order).limit(limit)).all()

    def _page_by_due(
        self, account_id: int, query: TicketQuery, after: tuple[int, ...] | None,
        before: tuple[int, ...] | None, limit: int, agent_id: int | None,
    ) -> Sequence[Any]:  # fmt: skip
        """Soonest due first: the walk is the account's (due, ticket) index on ticket_sla,
        joined to each ticket by primary key; tickets without a due time are not in it."""
        tk, sla = t.tickets, t.ticket_sla
        columns = [sla.c.due, sla.c.ticket_id]
        found = self._found(select(tk, *_beside(agent_id)), account_id, query)
        found = found.join(sla, sla.c.ticket_id == tk.c.id).where(
            sla.c.account_id == account_id, sla.c.due.is_not(None)
        )
        if after is not None:
            found = found.where(tuple_(*columns) > tuple_(*after))
        if before is not None:
            found = found.where(tuple_(*columns) < tuple_(*before))
        order = [c.desc() if before is not None else c.asc() for c in columns]
        return self.conn.execute(found.order_by(*order).limit(limit)).all()

    @property
    def _sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def _found(self, base: Select[Any], account_id: int, query: TicketQuery) -> Select[Any]:
        tk = t.tickets
        source: FromClause = tk
        conditions = _conditions(account_id, query)
        if query.words:
            source, matched = self._matching(query.words)
            conditions.append(matched)
        return base.select_from(source).where(*conditions)

    def _matching(self, words: Sequence[str]) -> tuple[FromClause, ColumnElement[bool]]:
        """The search table joined to tickets, and the condition that matches the words."""
        tk = t.tickets
        if not self._sqlite:
            joined = _tsv.join(tk, tk.c.id == _tsv.c.ticket_id)
            # The words are written into the statement, not bound: psycopg prepares a
            # statement run five times, and PostgreSQL may then keep one generic plan for
            # every word. Planned for a rare word (the GIN index, all matches sorted), it
            # read 800,000 matches for "invoice" at 1,000,000 tickets: 100 ms instead of
            # 2 ms. With the words in the text, each search is planned for its own words.
            # Safe to inline: words are letters and digits only (core.search_words).
            words_text = bindparam(None, tsquery(words), type_=String, literal_execute=True)
            query = func.to_tsquery("simple", words_text)
            return joined, _tsv.c.document.op("@@")(query)
        # The FTS table leads: its rowid order is the page order, so a page stops early.
        joined = _LeadingJoin(_fts, tk, tk.c.id == _fts.c.rowid)
        return joined, _fts.c.ticket_search.op("MATCH")(fts5_query(words))

    def requesters_of(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]:
        """Contacts by id alone (primary key lookups), then kept only if the account's.

        Filtering by account in SQL lets SQLite (no statistics) prefer the account's e-mail
        index and scan every contact of the account: 3 ms for a page at 25,000 contacts.
        """
        if not contact_ids:
            return {}
        rows = self.conn.execute(select(t.contacts).where(t.contacts.c.id.in_(contact_ids)))
        return {row.id: contact_from_row(row) for row in rows if row.account_id == account_id}
