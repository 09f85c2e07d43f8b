"""The statements on the hottest paths, built once at import.

Every API request authenticates a key; opening a ticket (its row, details, messages,
attachments) is the hottest read there is, and every ticket change renders it too.
Measured in bench/ (issue 8), most of their time was SQLAlchemy's per-statement work
rather than the database's: building the statement and its cache key, then the execution
context and result, about 0.1 ms per statement. So the statements here are built once,
with bind parameters, and the five detail queries (labels, tags, assignees, links, custom
fields) are one UNION ALL: each part keeps its own order (name, agent id, linked id, field
name), as the separate queries had it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Integer,
    Select,
    Table,
    Text,
    Update,
    bindparam,
    cast,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter

from frontdesk.core.tickets.records import TicketDetails
from frontdesk.storage import tables as t

CREDENTIAL = select(t.credentials).where(t.credentials.c.key_id == bindparam("key_id"))
TICKET = select(t.tickets).where(
    t.tickets.c.id == bindparam("ticket_id"), t.tickets.c.account_id == bindparam("account_id")
)
MESSAGES = (
    select(t.messages)
    .where(t.messages.c.ticket_id == bindparam("ticket_id"))
    .order_by(t.messages.c.id)
)
ATTACHMENTS = (
    select(t.attachments)
    .where(t.attachments.c.message_id.in_(bindparam("message_ids", expanding=True)))
    .order_by(t.attachments.c.id)
)

_IDS: BindParameter[list[int]] = bindparam("ticket_ids", expanding=True)
_NO_TEXT = cast(null(), Text)
_NO_NUMBER = cast(null(), Integer)


def _part(kind: int, table: Any, text: Any, number: Any, value: Any = _NO_TEXT) -> Select[Any]:
    return select(
        literal_column(str(kind), Integer).label("kind"),
        table.c.ticket_id.label("ticket_id"),
        text.label("text"),
        number.label("number"),
        value.label("value"),
    ).where(table.c.ticket_id.in_(_IDS))


_LABEL, _TAG, _ASSIGNEE, _LINK, _FIELD = range(5)
_fields = t.ticket_fields.join(t.custom_fields, t.custom_fields.c.id == t.ticket_fields.c.field_id)
DETAILS = union_all(
    _part(_LABEL, t.ticket_labels, cast(t.ticket_labels.c.name, Text), _NO_NUMBER),
    _part(_TAG, t.ticket_tags, cast(t.ticket_tags.c.name, Text), _NO_NUMBER),
    _part(_ASSIGNEE, t.ticket_assignees, _NO_TEXT, t.ticket_assignees.c.agent_id),
    _part(_LINK, t.ticket_links, _NO_TEXT, t.ticket_links.c.linked_id),
    select(
        literal_column(str(_FIELD), Integer).label("kind"),
        t.ticket_fields.c.ticket_id.label("ticket_id"),
        cast(t.custom_fields.c.name, Text).label("text"),
        _NO_NUMBER.label("number"),
        cast(t.ticket_fields.c.value, Text).label("value"),
    )
    .select_from(_fields)
    .where(t.ticket_fields.c.ticket_id.in_(_IDS)),
).order_by("kind", "text", "number")


def ticket_details(conn: Connection, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
    """Details for every id asked for (empty ones included), in one statement."""
    if not ticket_ids:
        return {}
    found: dict[int, list[list[Any]]] = defaultdict(lambda: [[], [], [], [], []])
    for kind, ticket_id, text, number, value in conn.execute(
        DETAILS, {"ticket_ids": list(ticket_ids)}
    ):
        parts = found[ticket_id]
        if kind in (_LABEL, _TAG):
            parts[kind].append(text)
        elif kind in (_ASSIGNEE, _LINK):
            parts[kind].append(number)
        else:
            parts[kind].append((text, value))
    empty: list[list[Any]] = [[], [], [], [], []]
    return {
        ticket_id: TicketDetails(
            labels=tuple(parts[_LABEL]),
            tags=tuple(parts[_TAG]),
            assignee_ids=tuple(parts[_ASSIGNEE]),
            linked_ids=tuple(parts[_LINK]),
            custom_fields=tuple(parts[_FIELD]),
        )
        for ticket_id in ticket_ids
        for parts in (found.get(ticket_id, empty),)
    }


# -- the repository's generic helpers: one statement per table, reused -----------------------
# Execution parameters fill in the values (INSERT and UPDATE take their columns from the
# parameters' keys), so the statement object, and with it its cache key, is made once.

ROW_ID = "row_id_"  # the UPDATE's WHERE parameter: no column has this name


@cache
def insert_returning(table: Table) -> Insert:
    return insert(table).returning(table)


@cache
def update_returning(table: Table) -> Update:
    return update(table).where(table.c.id == bindparam(ROW_ID)).returning(table)


# A ticket's every change raises its version (the native API's ETag): in the same UPDATE,
# so two writers can never both see the old number and write the same new one.
UPDATE_TICKET = (
    update(t.tickets)
    .where(t.tickets.c.id == bindparam(ROW_ID))
    .values(version=t.tickets.c.version + 1)
    .returning(t.tickets)
)


@cache
def one_in_account(table: Table) -> Select[Any]:
    return select(table).where(
        table.c.id == bindparam(ROW_ID), table.c.account_id == bindparam("account_id")
    )


def plain(values: Mapping[str, Any]) -> bool:
    """Whether every value is data (not a SQL expression), so parameters can carry it."""
    return not any(isinstance(value, ClauseElement) for value in values.values())


@cache
def insert_plain(table: Table) -> Insert:
    return insert(table)


# A page's labels: one expanding parameter instead of a literal coerced per ticket id.
PAGE_LABELS = (
    select(t.ticket_labels.c.ticket_id, t.ticket_labels.c.name)
    .where(t.ticket_labels.c.ticket_id.in_(bindparam("ticket_ids", expanding=True)))
    .order_by(t.ticket_labels.c.ticket_id, t.ticket_labels.c.name)
)
