"""Reads for a customer's own portal (the v3 dialect): one contact's tickets, page by page.

A page is three statements whatever its length: the tickets with their category joined
in, one grouped count of the customer's messages for those tickets, and the total. The
existing index ix_tickets_account_requester (account_id, requester_id, status) finds a
contact's tickets; ordering them by id is a sort of that contact's rows only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, exists, func, or_, select

from frontdesk.core.customers import CustomerTicket
from frontdesk.core.models import OPEN_STATUSES, MessageKind
from frontdesk.storage import tables as t
from frontdesk.storage.rows import ticket_from_row

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


class CustomerQueryMixin:
    conn: Connection

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
            )
            .group_by(msg.c.ticket_id)
        )
        return {int(ticket_id): int(count) for ticket_id, count in self.conn.execute(query)}
