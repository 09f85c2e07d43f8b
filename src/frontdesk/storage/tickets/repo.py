"""Tickets, their details and their messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frontdesk.core.tickets.records import (
    Message,
    Status,
    Ticket,
    TicketDetails,
)
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage._sql import ids_by_uuid, insert_row, join_lines, locks_rows
from frontdesk.storage.tickets.removal import delete_ticket_rows
from frontdesk.storage.tickets.rows import message_from_row, ticket_from_row


class SqlTickets:
    """One account's tickets and messages, row by row."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = locks_rows(conn)

    def insert_ticket(self, values: Mapping[str, Any]) -> Ticket:
        return ticket_from_row(insert_row(self.conn, t.tickets, _ranked(values)))

    def update_ticket(self, ticket_id: int, changes: Mapping[str, Any]) -> Ticket:
        """Change the row and raise its version by one; priority_rank follows priority."""
        changes = _ranked(changes)
        if "version" in changes or not hot_queries.plain(changes):
            raise ValueError("a ticket's version is raised by update_ticket alone")
        params = {**changes, hot_queries.ROW_ID: ticket_id}
        return ticket_from_row(self.conn.execute(hot_queries.UPDATE_TICKET, params).one())

    def get_ticket(self, account_id: int, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        query = hot_queries.TICKET
        if lock and self._lock:
            query = query.with_for_update()
        params = {"ticket_id": ticket_id, "account_id": account_id}
        row = self.conn.execute(query, params).one_or_none()
        return ticket_from_row(row) if row else None

    def get_ticket_by_uuid(self, account_id: int, uuid: str) -> Ticket | None:
        row = self.conn.execute(
            select(t.tickets).where(t.tickets.c.uuid == uuid, t.tickets.c.account_id == account_id)
        ).one_or_none()
        return ticket_from_row(row) if row else None

    def get_tickets(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
        if not ticket_ids:
            return {}
        rows = self.conn.execute(
            select(t.tickets).where(
                t.tickets.c.account_id == account_id, t.tickets.c.id.in_(ticket_ids)
            )
        ).all()
        return {row.id: ticket_from_row(row) for row in rows}

    def find_open_ticket(
        self, account_id: int, requester_id: int, inbox_id: int | None
    ) -> Ticket | None:
        """The requester's most recent open, unmerged, unarchived ticket in that inbox."""
        open_words = [
            status.value for status in Status if status not in (Status.SOLVED, Status.CLOSED)
        ]
        row = self.conn.execute(
            select(t.tickets)
            .where(
                t.tickets.c.account_id == account_id,
                t.tickets.c.requester_id == requester_id,
                t.tickets.c.inbox_id == inbox_id
                if inbox_id is not None
                else t.tickets.c.inbox_id.is_(None),
                t.tickets.c.status.in_(open_words),
                t.tickets.c.merged_into_id.is_(None),
                t.tickets.c.archived_at.is_(None),
            )
            .order_by(t.tickets.c.latest_activity.desc(), t.tickets.c.id.desc())
            .limit(1)
        ).first()
        return ticket_from_row(row) if row else None

    def next_ticket_number(self, account_id: int) -> int:
        """Take the account's next ticket number; the row lock serialises concurrent writers."""
        return int(
            self.conn.execute(
                update(t.accounts)
                .where(t.accounts.c.id == account_id)
                .values(ticket_seq=t.accounts.c.ticket_seq + 1)
                .returning(t.accounts.c.ticket_seq)
            ).scalar_one()
        )

    def count_tickets(self, account_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.tickets)
                .where(t.tickets.c.account_id == account_id)
            ).scalar_one()
        )

    def ticket_details(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
        """Labels, tags, assignees, links and custom fields for many tickets, one query."""
        return hot_queries.ticket_details(self.conn, ticket_ids)

    def tags_and_assignees(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
        """A list's many-valued columns in two statements (ticket_details reads all five kinds)."""
        found: dict[int, tuple[list[str], list[int]]] = {tid: ([], []) for tid in ticket_ids}
        if ticket_ids:
            tags, assignees = t.ticket_tags, t.ticket_assignees
            for ticket_id, name in self.conn.execute(
                select(tags.c.ticket_id, tags.c.name)
                .where(tags.c.ticket_id.in_(ticket_ids))
                .order_by(tags.c.ticket_id, tags.c.name)
            ):
                found[ticket_id][0].append(name)
            for ticket_id, agent_id in self.conn.execute(
                select(assignees.c.ticket_id, assignees.c.agent_id)
                .where(assignees.c.ticket_id.in_(ticket_ids))
                .order_by(assignees.c.ticket_id, assignees.c.agent_id)
            ):
                found[ticket_id][1].append(agent_id)
        return {
            ticket_id: TicketDetails(tags=tuple(names), assignee_ids=tuple(agents))
            for ticket_id, (names, agents) in found.items()
        }

    def replace_values(
        self, what: str, ticket_id: int, values: Sequence[Any], *, fresh: bool = False
    ) -> None:
        """Replace a ticket's labels, tags, assignees or links with exactly `values`."""
        table, column = {
            "labels": (t.ticket_labels, "name"),
            "tags": (t.ticket_tags, "name"),
            "assignees": (t.ticket_assignees, "agent_id"),
            "links": (t.ticket_links, "linked_id"),
        }[what]
        if not fresh:
            self.conn.execute(delete(table).where(table.c.ticket_id == ticket_id))
        if values:
            self.conn.execute(
                hot_queries.insert_plain(table),
                [{"ticket_id": ticket_id, column: value} for value in values],
            )
            if what == "labels":
                self._remember_labels(ticket_id, values)

    def _remember_labels(self, ticket_id: int, names: Sequence[str]) -> None:
        """The account's label list (its label views) gains any name new to it."""
        upsert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        account_id = select(t.tickets.c.account_id).where(t.tickets.c.id == ticket_id)
        for name in names:
            self.conn.execute(
                upsert(t.account_labels)
                .from_select(
                    ["account_id", "name"], select(account_id.scalar_subquery(), literal(name))
                )
                .on_conflict_do_nothing(index_elements=["account_id", "name"])
            )

    def add_link(self, ticket_id: int, linked_id: int) -> None:
        exists = self.conn.execute(
            select(t.ticket_links.c.ticket_id).where(
                t.ticket_links.c.ticket_id == ticket_id, t.ticket_links.c.linked_id == linked_id
            )
        ).first()
        if exists is None:
            self.conn.execute(
                insert(t.ticket_links).values(ticket_id=ticket_id, linked_id=linked_id)
            )

    def set_field_values(self, ticket_id: int, values: Mapping[int, str | None]) -> None:
        """Set custom field values by field id; None removes the value."""
        for field_id, value in values.items():
            self.conn.execute(
                delete(t.ticket_fields).where(
                    t.ticket_fields.c.ticket_id == ticket_id, t.ticket_fields.c.field_id == field_id
                )
            )
            if value is not None:
                self.conn.execute(
                    insert(t.ticket_fields).values(
                        ticket_id=ticket_id, field_id=field_id, value=value
                    )
                )

    def insert_message(self, values: Mapping[str, Any]) -> Message:
        values = dict(values)
        for key in ("to", "cc", "bcc"):
            values[f"{key}_addrs"] = join_lines(values.pop(key, ()))
        return message_from_row(insert_row(self.conn, t.messages, values))

    def list_messages(self, ticket_id: int) -> list[Message]:
        rows = self.conn.execute(hot_queries.MESSAGES, {"ticket_id": ticket_id}).all()
        return [message_from_row(row) for row in rows]

    def count_messages(self, ticket_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.messages)
                .where(t.messages.c.ticket_id == ticket_id)
            ).scalar_one()
        )

    def get_messages(self, account_id: int, message_ids: Sequence[int]) -> list[Message]:
        if not message_ids:
            return []
        rows = self.conn.execute(
            select(t.messages)
            .where(t.messages.c.account_id == account_id, t.messages.c.id.in_(message_ids))
            .order_by(t.messages.c.id)
        ).all()
        return [message_from_row(row) for row in rows]

    def messages_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Message]:
        ids = ids_by_uuid(self.conn, t.messages, account_id, uuids)
        return self.get_messages(account_id, ids)

    def move_messages(
        self,
        message_ids: Sequence[int],
        to_ticket_id: int,
        *,
        audience_contact_id: int | None = None,
    ) -> int:
        """Move messages, and the attachments they carry, to another ticket."""
        moved = self.conn.execute(
            update(t.messages)
            .where(t.messages.c.id.in_(message_ids))
            .values(ticket_id=to_ticket_id)
        ).rowcount
        if audience_contact_id is not None:
            self.conn.execute(
                update(t.messages)
                .where(t.messages.c.id.in_(message_ids), t.messages.c.audience_contact_id.is_(None))
                .values(audience_contact_id=audience_contact_id)
            )
        self.conn.execute(
            update(t.attachments)
            .where(t.attachments.c.message_id.in_(message_ids))
            .values(ticket_id=to_ticket_id)
        )
        return int(moved)

    def delete_ticket(self, ticket_id: int) -> list[str]:
        return delete_ticket_rows(self.conn, ticket_id)

    def message_ids_of(self, ticket_id: int) -> list[int]:
        return list(
            self.conn.execute(
                select(t.messages.c.id)
                .where(t.messages.c.ticket_id == ticket_id)
                .order_by(t.messages.c.id)
            ).scalars()
        )


PRIORITY_RANKS = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _ranked(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The values with `priority_rank` following `priority`, when the priority is written."""
    priority = values.get("priority")
    if priority is None:
        return values
    return {**values, "priority_rank": PRIORITY_RANKS.get(str(priority), 1)}
