"""Read-only list and search queries for the dialects (keyset paging, filters, exports).

Kept apart from repo.py's single-object reads and writes (core.tickets.ports.TicketListing).
A page is a fixed number of statements whatever its length: the rows with everything joined
in, then one batched query for the many-valued parts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frontdesk.core.contacts.records import Contact
from frontdesk.core.mail.outbox import SENT
from frontdesk.core.shared.paging import Window
from frontdesk.core.tickets.records import (
    OPEN_STATUSES,
    CustomerTicket,
    Draft,
    EmailCursor,
    ListedEmail,
    ListedTicket,
    MessageKind,
    QueueEntry,
    Sort,
    Ticket,
    TicketFilter,
    TicketQuery,
)
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage._sql import split_lines, within
from frontdesk.storage.tickets.rows import ticket_from_row
from frontdesk.storage.tickets.search import SqlTicketSearch

# An `updated` window with at most this many tickets is read from its index first.
NARROW_WINDOW = 1000


_OPEN = sorted(status.value for status in OPEN_STATUSES)


def _of_customer(
    account_id: int, requester_id: int, *, open_or_unread: bool
) -> list[ColumnElement[bool]]:
    tk, msg = t.tickets, t.messages
    conditions = [
        tk.c.account_id == account_id,
        tk.c.requester_id == requester_id,
        tk.c.merged_into_id.is_(None),  # a merged ticket's conversation lives on its target
    ]
    if open_or_unread:
        unread = exists().where(
            msg.c.ticket_id == tk.c.id,
            msg.c.kind == MessageKind.EXTERNAL.value,
            msg.c.agent_id.is_not(None),
            msg.c.created > func.coalesce(tk.c.client_last_read, -1),
        )
        conditions.append(or_(tk.c.status.in_(_OPEN), unread))
    return conditions


# Built once with bind parameters (as storage/hot_queries.py's): the ticket page and the
# queue read them on every view, and building a statement and its cache key costs more than
# running it.
_ACCOUNT_LABELS = (
    select(t.account_labels.c.name)
    .where(t.account_labels.c.account_id == bindparam("account_id"))
    .order_by(t.account_labels.c.name)
)
_REQUESTER_LATEST = (
    select(t.tickets)
    .where(
        t.tickets.c.account_id == bindparam("account_id"),
        t.tickets.c.requester_id == bindparam("requester_id"),
        t.tickets.c.merged_into_id.is_(None),  # ix_tickets_customer_list, in id order
    )
    .order_by(t.tickets.c.id.desc())
    .limit(bindparam("limit"))
)
_VIEW_NAMES = union_all(
    select(literal(0).label("part"), t.inboxes.c.id, t.inboxes.c.name).where(
        t.inboxes.c.account_id == bindparam("account_id")
    ),
    select(literal(1), null(), t.account_labels.c.name).where(
        t.account_labels.c.account_id == bindparam("account_id")
    ),
).order_by("part", "name")  # labels in the database's order
_READ_TIMES = select(t.ticket_reads.c.ticket_id, t.ticket_reads.c.read_at).where(
    t.ticket_reads.c.agent_id == bindparam("agent_id"),
    t.ticket_reads.c.ticket_id.in_(bindparam("ticket_ids", expanding=True)),
)
_DRAFTS = select(t.drafts).where(
    t.drafts.c.agent_id == bindparam("agent_id"), t.drafts.c.ticket_id == bindparam("ticket_id")
)


class SqlTicketListing:
    """Pages of tickets and e-mails: keyset lists, search, a customer's own tickets."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._search = SqlTicketSearch(conn)

    def list_tickets(
        self, account_id: int, filters: TicketFilter, *, after_id: int, limit: int
    ) -> list[ListedTicket]:
        """Tickets with id > after_id matching every filter, in id order.

        Two statements, three with an `updated` window (see _window).
        """
        tk = t.tickets
        query = (
            select(tk, t.inboxes.c.name.label("inbox_name"), t.contacts.c.email.label("req_email"))
            .select_from(
                tk.outerjoin(t.inboxes, t.inboxes.c.id == tk.c.inbox_id).outerjoin(
                    t.contacts, t.contacts.c.id == tk.c.requester_id
                )
            )
            .where(
                tk.c.account_id == account_id,
                tk.c.id > after_id,
                *self._window(account_id, filters.updated),
                *self._filters(account_id, filters),
            )
            .order_by(tk.c.id)
            .limit(limit)
        )
        rows = self.conn.execute(query).all()
        labels = self._labels([row.id for row in rows])
        return [
            ListedTicket(
                ticket=ticket_from_row(row),
                inbox_name=row.inbox_name,
                requester_email=row.req_email,
                labels=tuple(labels.get(row.id, ())),
            )
            for row in rows
        ]

    def _window(self, account_id: int, window: Window) -> list[ColumnElement[bool]]:
        """The `updated` window as conditions, or as the ids in it when they are few.

        Pages go in id order, and recently updated tickets mostly have high ids, so both
        planners walk the id index and test each ticket (one scan of the account per walk,
        17-23 ms at 100,000 tickets). When the window's own index holds at most
        NARROW_WINDOW tickets (counted by reading at most one more), the page looks those
        up by id instead, so a synchronisation asking what changed lately stays cheap.
        """
        conditions = within(t.tickets.c.updated, window)
        if not conditions:
            return []
        ids = (
            self.conn.execute(
                select(t.tickets.c.id)
                .where(t.tickets.c.account_id == account_id, *conditions)
                .limit(NARROW_WINDOW + 1)
            )
            .scalars()
            .all()
        )
        return conditions if len(ids) > NARROW_WINDOW else [t.tickets.c.id.in_(ids)]

    def _filters(self, account_id: int, filters: TicketFilter) -> list[ColumnElement[bool]]:
        tk = t.tickets
        conditions = within(tk.c.latest_activity, filters.latest_activity)
        if filters.status is not None:
            conditions.append(tk.c.status == filters.status.value)
        if filters.requester_email is not None:
            # Driven from the requester's few tickets: as a plain filter, SQLite (which has
            # no statistics) would walk every ticket in id order to find them.
            contact, mine = t.contacts.alias("wanted"), tk.alias("theirs")
            requester_ids = select(contact.c.id).where(
                contact.c.account_id == account_id,
                func.lower(contact.c.email) == filters.requester_email.lower(),
            )
            conditions.append(
                tk.c.id.in_(
                    select(mine.c.id).where(
                        mine.c.account_id == account_id, mine.c.requester_id.in_(requester_ids)
                    )
                )
            )
        if filters.labels:
            conditions.append(
                tk.c.id.in_(
                    select(t.ticket_labels.c.ticket_id).where(
                        t.ticket_labels.c.name.in_(filters.labels)
                    )
                )
            )
        return conditions

    def _labels(self, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        if not ticket_ids:
            return found
        params = {"ticket_ids": list(ticket_ids)}
        for ticket_id, name in self.conn.execute(hot_queries.PAGE_LABELS, params):
            found[ticket_id].append(name)
        return found

    def list_emails(
        self, account_id: int, window: Window, *, after: EmailCursor | None, limit: int
    ) -> list[ListedEmail]:
        """External messages with an address, created in the window, in (created, id) order;
        a message whose mail has not left (queued, sending, failed) is not among them."""
        msg = t.messages
        if after is not None:
            # The cursor narrows the index range itself; a row-value comparison beside the
            # window's own bound would be a filter, and deep pages would scan from the start.
            start = after.created if window.start is None else max(window.start, after.created)
            window = Window(start, window.end)
        # A message whose mail is queued, being sent or failed did not leave: not listed.
        unsent = (
            select(t.outbox.c.id)
            .where(t.outbox.c.message_id == msg.c.id, t.outbox.c.status != SENT)
            .exists()
        )
        conditions = [
            msg.c.account_id == account_id,
            msg.c.kind == MessageKind.EXTERNAL.value,
            or_(msg.c.from_email.is_not(None), msg.c.to_addrs != ""),
            ~unsent,
            *within(msg.c.created, window),
        ]
        if after is not None:
            conditions.append(or_(msg.c.created > after.created, msg.c.id > after.id))
        query = (
            select(
                msg.c.id,
                msg.c.ticket_id,
                msg.c.created,
                msg.c.from_email,
                msg.c.from_name,
                msg.c.to_addrs,
                msg.c.cc_addrs,
                msg.c.bcc_addrs,
                msg.c.unverified,
                msg.c.agent_id,
                t.inboxes.c.name.label("inbox_name"),
            )
            .select_from(
                msg.join(t.tickets, t.tickets.c.id == msg.c.ticket_id).outerjoin(
                    t.inboxes, t.inboxes.c.id == t.tickets.c.inbox_id
                )
            )
            .where(and_(*conditions))
            .order_by(msg.c.created, msg.c.id)
            .limit(limit)
        )
        return [
            ListedEmail(
                id=row.id,
                ticket_id=row.ticket_id,
                created=row.created,
                from_email=row.from_email,
                from_name=row.from_name,
                to=split_lines(row.to_addrs),
                cc=split_lines(row.cc_addrs),
                bcc=split_lines(row.bcc_addrs),
                inbox_name=row.inbox_name,
                unverified=bool(row.unverified),
                agent_id=row.agent_id,
            )
            for row in self.conn.execute(query)
        ]

    def list_customer_tickets(
        self, account_id: int, requester_id: int, *, open_or_unread: bool, offset: int, limit: int
    ) -> list[CustomerTicket]:
        tk = t.tickets
        # The offset is walked in the index alone; only the page's rows are read.
        page = (
            select(tk.c.id)
            .where(*_of_customer(account_id, requester_id, open_or_unread=open_or_unread))
            .order_by(tk.c.id.desc())
            .offset(offset)
            .limit(limit)
            .subquery()
        )
        query = (
            select(tk, t.categories.c.name.label("category_name"))
            .select_from(
                tk.join(page, page.c.id == tk.c.id).outerjoin(
                    t.categories, t.categories.c.id == tk.c.category_id
                )
            )
            .order_by(tk.c.id.desc())
        )
        rows = self.conn.execute(query).all()
        counts = self.customer_reply_counts([row.id for row in rows])
        return [
            CustomerTicket(ticket_from_row(row), row.category_name, counts.get(row.id, 0))
            for row in rows
        ]

    def count_customer_tickets(
        self, account_id: int, requester_id: int, *, open_or_unread: bool
    ) -> int:
        query = (
            select(func.count())
            .select_from(t.tickets)
            .where(*_of_customer(account_id, requester_id, open_or_unread=open_or_unread))
        )
        return int(self.conn.execute(query).scalar_one())

    def customer_reply_counts(self, ticket_ids: Sequence[int]) -> dict[int, int]:
        """Customer-side external messages per ticket (core.customers.is_customer_reply)."""
        if not ticket_ids:
            return {}
        msg = t.messages
        query = (
            select(msg.c.ticket_id, func.count())
            .where(
                msg.c.ticket_id.in_(ticket_ids),
                msg.c.kind == MessageKind.EXTERNAL.value,
                msg.c.contact_id.is_not(None),
                msg.c.audience_contact_id.is_(None),
            )
            .group_by(msg.c.ticket_id)
        )
        return {int(ticket_id): int(count) for ticket_id, count in self.conn.execute(query)}

    def account_labels(self, account_id: int) -> list[str]:
        rows = self.conn.execute(_ACCOUNT_LABELS, {"account_id": account_id})
        return list(rows.scalars())

    def latest_of_requester(self, account_id: int, requester_id: int, limit: int) -> list[Ticket]:
        params = {"account_id": account_id, "requester_id": requester_id, "limit": limit}
        return [ticket_from_row(row) for row in self.conn.execute(_REQUESTER_LATEST, params)]

    def inbox_names(self, account_id: int) -> dict[int, str]:
        rows = self.conn.execute(
            select(t.inboxes.c.id, t.inboxes.c.name).where(t.inboxes.c.account_id == account_id)
        )
        return {int(row.id): str(row.name) for row in rows}

    def view_names(self, account_id: int) -> tuple[dict[int, str], list[str]]:
        """The account's inbox names (id -> name) and labels (in order), in one statement:
        the left column of every workspace page lists both."""
        names: dict[int, str] = {}
        label_names = []
        for part, inbox_id, name in self.conn.execute(_VIEW_NAMES, {"account_id": account_id}):
            if part:
                label_names.append(str(name))
            else:
                names[int(inbox_id)] = str(name)
        return names, label_names

    # Search reads are their own class (search.py); a listing hands them on.

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
        return self._search.page_tickets(
            account_id, query, sort, after=after, before=before, limit=limit, agent_id=agent_id
        )

    def find_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int
    ) -> list[Ticket]:
        return self._search.find_tickets(account_id, query, offset=offset, limit=limit)

    def find_counted_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int, up_to: int
    ) -> tuple[list[Ticket], int | None]:
        return self._search.find_counted_tickets(
            account_id, query, offset=offset, limit=limit, up_to=up_to
        )

    def count_found_tickets(
        self, account_id: int, query: TicketQuery, *, up_to: int | None = None
    ) -> int:
        return self._search.count_found_tickets(account_id, query, up_to=up_to)

    def requesters_of(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]:
        return self._search.requesters_of(account_id, contact_ids)


class SqlReadMarks:
    """When each agent last read each ticket (the queue's unread marks)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def read_times(self, agent_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
        if not ticket_ids:
            return {}
        params = {"agent_id": agent_id, "ticket_ids": list(ticket_ids)}
        rows = self.conn.execute(_READ_TIMES, params)
        return {int(row.ticket_id): int(row.read_at) for row in rows}

    def mark_read(self, agent_id: int, ticket_id: int, at: int) -> None:
        upsert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        statement = upsert(t.ticket_reads).values(
            agent_id=agent_id, ticket_id=ticket_id, read_at=at
        )
        self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["agent_id", "ticket_id"], set_={"read_at": at}
            )
        )


class SqlDrafts:
    """Agents' unsent replies and notes, one per agent, ticket and kind."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put_draft(self, account_id: int, draft: Draft) -> None:
        upsert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        values = {
            "body": draft.body,
            "to_addrs": draft.to,
            "cc_addrs": draft.cc,
            "bcc_addrs": draft.bcc,
            "updated": draft.updated,
        }
        statement = upsert(t.drafts).values(
            agent_id=draft.agent_id, ticket_id=draft.ticket_id, kind=draft.kind,
            account_id=account_id, **values,
        )  # fmt: skip
        self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["agent_id", "ticket_id", "kind"], set_=values
            )
        )

    def drafts_of(self, agent_id: int, ticket_id: int) -> list[Draft]:
        rows = self.conn.execute(_DRAFTS, {"agent_id": agent_id, "ticket_id": ticket_id})
        return [
            Draft(row.ticket_id, row.agent_id, row.kind, row.body, row.to_addrs, row.cc_addrs,
                  row.bcc_addrs, row.updated)
            for row in rows
        ]  # fmt: skip

    def delete_draft(self, agent_id: int, ticket_id: int, kind: str) -> bool:
        dr = t.drafts
        done = self.conn.execute(
            delete(dr).where(
                dr.c.agent_id == agent_id, dr.c.ticket_id == ticket_id, dr.c.kind == kind
            )
        )
        return bool(done.rowcount)
