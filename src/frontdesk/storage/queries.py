"""Read-only list and search queries for the dialects (keyset paging, filters, exports).

Kept apart from repo.py's single-object reads and writes; SqlRepo inherits both. A page
is a fixed number of statements whatever its length: the rows with everything joined
in, then one batched query for the many-valued parts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from frontdesk.core.listing import EmailCursor, ListedEmail, ListedTicket, TicketFilter, Window
from frontdesk.core.models import MessageKind
from frontdesk.storage import tables as t
from frontdesk.storage.rows import split_lines, ticket_from_row


def _within(column: Any, window: Window) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if window.start is not None:
        conditions.append(column >= window.start)
    if window.end is not None:
        conditions.append(column <= window.end)
    return conditions


class QueryMixin:
    conn: Connection

    def list_tickets(
        self, account_id: int, filters: TicketFilter, *, after_id: int, limit: int
    ) -> list[ListedTicket]:
        """Tickets with id > after_id matching every filter, in id order: two statements."""
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

    def _filters(self, account_id: int, filters: TicketFilter) -> list[ColumnElement[bool]]:
        tk = t.tickets
        conditions = [
            *_within(tk.c.updated, filters.updated),
            *_within(tk.c.latest_activity, filters.latest_activity),
        ]
        if filters.status is not None:
            conditions.append(tk.c.status == filters.status.value)
        if filters.requester_email is not None:
            # The requester's ids first (uncorrelated, so computed once), then the page can
            # use the (account_id, requester_id, ...) index.
            contact = t.contacts.alias("wanted")
            conditions.append(
                tk.c.requester_id.in_(
                    select(contact.c.id).where(
                        contact.c.account_id == account_id,
                        func.lower(contact.c.email) == filters.requester_email.lower(),
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
        for ticket_id, name in self.conn.execute(
            select(t.ticket_labels.c.ticket_id, t.ticket_labels.c.name)
            .where(t.ticket_labels.c.ticket_id.in_(ticket_ids))
            .order_by(t.ticket_labels.c.ticket_id, t.ticket_labels.c.name)
        ):
            found[ticket_id].append(name)
        return found

    def list_emails(
        self, account_id: int, window: Window, *, after: EmailCursor | None, limit: int
    ) -> list[ListedEmail]:
        """External messages with an address, created in the window, in (created, id) order."""
        msg = t.messages
        if after is not None:
            # The cursor narrows the index range itself; a row-value comparison beside the
            # window's own bound would be a filter, and deep pages would scan from the start.
            start = after.created if window.start is None else max(window.start, after.created)
            window = Window(start, window.end)
        conditions = [
            msg.c.account_id == account_id,
            msg.c.kind == MessageKind.EXTERNAL.value,
            or_(msg.c.from_email.is_not(None), msg.c.to_addrs != ""),
            *_within(msg.c.created, window),
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
            )
            for row in self.conn.execute(query)
        ]
