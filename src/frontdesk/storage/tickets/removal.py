"""Deleting a ticket's rows: its messages, files' rows, details, marks and mail references.

Rows that outlive the ticket on purpose keep only a null in place of it: the event log
(what happened stays recorded) and mail receipts (a receipt is what makes a redelivered
mail a no-op; without it the same mail would open the deleted ticket again). Outbox rows
go with the ticket, sent or not: they hold its text, and a queued reply to a deleted
ticket must not leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, delete, or_, select, union, update

from frontdesk.storage import tables as t

_DETAILS = (t.ticket_labels, t.ticket_tags, t.ticket_assignees, t.ticket_fields,
            t.ticket_reads, t.drafts, t.notifications, t.csat_surveys,
            t.ticket_sla)  # fmt: skip


def delete_ticket_rows(conn: Connection, ticket_id: int) -> list[str]:
    """Delete one ticket and what belongs to it; the stored names of the files it named."""
    message_ids = select(t.messages.c.id).where(t.messages.c.ticket_id == ticket_id)
    at = t.attachments
    of_ticket = or_(at.c.ticket_id == ticket_id, at.c.message_id.in_(message_ids))
    names = sorted(set(conn.execute(select(at.c.stored_name).where(of_ticket)).scalars()))
    conn.execute(delete(at).where(of_ticket))
    _detach_mail(conn, ticket_id, message_ids)
    for table in _DETAILS:
        conn.execute(delete(table).where(table.c.ticket_id == ticket_id))
    links = t.ticket_links
    conn.execute(
        delete(links).where(or_(links.c.ticket_id == ticket_id, links.c.linked_id == ticket_id))
    )
    conn.execute(
        update(t.tickets).where(t.tickets.c.merged_into_id == ticket_id).values(merged_into_id=None)
    )
    conn.execute(update(t.events).where(t.events.c.ticket_id == ticket_id).values(ticket_id=None))
    conn.execute(delete(t.messages).where(t.messages.c.ticket_id == ticket_id))
    conn.execute(delete(t.tickets).where(t.tickets.c.id == ticket_id))
    return names


def _detach_mail(conn: Connection, ticket_id: int, message_ids: Select[Any]) -> None:
    out, receipts = t.outbox, t.mail_receipts
    conn.execute(
        delete(out).where(or_(out.c.ticket_id == ticket_id, out.c.message_id.in_(message_ids)))
    )
    conn.execute(
        update(receipts)
        .where(or_(receipts.c.ticket_id == ticket_id, receipts.c.message_id.in_(message_ids)))
        .values(ticket_id=None, message_id=None)
    )


# Every column that names a stored file: the sweep, a ticket's deletion and the backup's
# check all ask these, so a new table that names a file is added here once.
BLOB_NAME_COLUMNS = (
    t.attachments.c.stored_name,
    t.mail_receipts.c.raw_sha256,
    t.accounts.c.logo_blob,  # a logo may share its bytes, and so its file, with an attachment
)


def names_in_use(conn: Connection, names: Sequence[str]) -> set[str]:
    """Which of these stored file names a row still names."""
    if not names:
        return set()
    query = union(*(select(column).where(column.in_(names)) for column in BLOB_NAME_COLUMNS))
    return {str(name) for name in conn.execute(query).scalars()}


def all_names_in_use(conn: Connection) -> set[str]:
    """Every stored file name a row names."""
    query = union(*(select(column).where(column.is_not(None)) for column in BLOB_NAME_COLUMNS))
    return {str(name) for name in conn.execute(query).scalars()}
