"""The ticket list and search, the all-in-one PATCH, and DELETE (issue 18).

The list is the web app's queue over the API: the same filters (core.tickets.queues), the
same full-text words (core.tickets.search) and the same keyset cursors, for the account's
live tickets (archived and merged ones are left out, as in the queue's "all" view).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from frontdesk.api.native import schemas as s
from frontdesk.api.native import ticket_schemas as ts
from frontdesk.api.native.tickets import IfMatch, _guard, _render, _tagged, reader, writer
from frontdesk.core import tickets
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.paging import Window
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import queues, removal
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.queues import QueueRow
from frontdesk.core.tickets.records import UNASSIGNED, Priority, Sort, Status, TicketQuery
from frontdesk.core.tickets.search import search_words
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services, files

router = APIRouter(prefix="/api/v1", tags=["tickets"])

Stamp = Annotated[int | None, Query(ge=0, le=10**15, description="Milliseconds since the epoch")]
Names = Annotated[list[str], Query(max_length=20)]


def _window(start: int | None, end: int | None, name: str) -> Window:
    if start is not None and end is not None and start > end:
        raise Invalid("empty_window", f"The {name} range ends before it starts", field=name)
    return Window(start, end)


def _words(q: str | None) -> tuple[str, ...]:
    try:
        return search_words(q)
    except Invalid as error:
        raise Invalid(error.code, error.message, field="q") from None


def _assignee(value: str | None) -> int | None:
    if value is None:
        return None
    return UNASSIGNED if value == "none" else int(value)


def _summary(row: QueueRow) -> ts.TicketSummary:
    ticket = row.ticket
    return ts.TicketSummary(
        id=ticket.id, uuid=ticket.uuid, number=ticket.number, subject=ticket.subject,
        status=ticket.status, priority=ticket.priority, inbox_id=ticket.inbox_id,
        inbox_name=row.inbox_name, requester_id=ticket.requester_id,
        requester_name=row.requester_name, requester_email=row.requester_email,
        labels=list(row.labels), tags=list(row.tags), assignee_ids=list(row.assignee_ids),
        merged_into_id=ticket.merged_into_id, created=ticket.created, updated=ticket.updated,
        latest_activity=ticket.latest_activity,
        client_last_replied=ticket.client_last_replied, version=ticket.version,
    )  # fmt: skip


@router.get("/tickets", response_model=ts.TicketPageOut)
def list_tickets(
    status: Annotated[list[Status], Query(max_length=6)] = [],  # noqa: B006 (FastAPI copies)
    inbox_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    assignee: Annotated[
        str | None, Query(pattern=r"^(none|[1-9][0-9]{0,9})$", description="An agent id or none")
    ] = None,
    label: Names = [],  # noqa: B006
    tag: Names = [],  # noqa: B006
    priority: Priority | None = None,
    created_from: Stamp = None,
    created_to: Stamp = None,
    updated_from: Stamp = None,
    updated_to: Stamp = None,
    q: Annotated[str | None, Query(max_length=500, description="Words, all of which")] = None,
    sort: Sort = Sort.ACTIVITY,
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=queues.MAX_PAGE)] = 25,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> ts.TicketPageOut:
    """The account's live tickets, newest (or most urgent) first, a keyset page at a time.

    Filters all apply at once; several `status` values match any of them, several
    `label` or `tag` values must all be on the ticket. `q` matches whole words in the
    subject, replies and notes (the InboxOps search). Date ranges are inclusive.
    """
    if assignee is not None and assignee != "none" and int(assignee) > 2**31 - 1:
        raise Invalid("invalid", "assignee is not an agent id", field="assignee")
    filters = TicketQuery(
        statuses=frozenset(status), priority=priority, tags=tuple(tag), labels=tuple(label),
        assignee=_assignee(assignee), inbox_id=inbox_id, words=_words(q),
        created=_window(created_from, created_to, "created"),
        updated=_window(updated_from, updated_to, "updated"),
    )  # fmt: skip
    query = queues.narrowed(queues.view_query(queues.View(queues.ViewKind.ALL), None), filters)
    assert query is not None  # the all view names no statuses, so filters cannot empty it
    with services.store.read() as uow:
        found = queues.page(uow, actor, query, sort, after=after, before=before, limit=limit)
    return ts.TicketPageOut(
        tickets=[_summary(row) for row in found.rows],
        next_cursor=found.next_cursor,
        previous_cursor=found.previous_cursor,
    )


def _patch(uow: TicketsUnit, actor: Actor, ticket_id: int, body: ts.TicketPatch) -> None:
    """Each change through its named core function, in one transaction: the first refusal
    rolls all of them back."""
    if body.subject is not None:
        tickets.set_subject(uow, actor, ticket_id, body.subject)
    if body.priority is not None:
        tickets.set_priority(uow, actor, ticket_id, body.priority)
    if body.labels is not None:
        tickets.set_labels(uow, actor, ticket_id, body.labels)
    if body.tags is not None:
        tickets.set_tags(uow, actor, ticket_id, body.tags)
    if body.custom_fields is not None:
        tickets.set_custom_fields(uow, actor, ticket_id, body.custom_fields)
    if body.notes is not None:
        tickets.set_notes(uow, actor, ticket_id, body.notes)
    if body.assignee_ids is not None:
        tickets.assign(uow, actor, ticket_id, body.assignee_ids)
    if body.status is not None:
        tickets.set_status(
            uow, actor, ticket_id, body.status, reason=body.status_reason, force=body.force
        )
    elif body.status_reason is not None or body.force:
        raise Invalid("invalid", "status_reason and force go with a status", field="status")


@router.patch("/tickets/{ticket_id}", response_model=s.TicketOut)
def patch_ticket(
    ticket_id: PathId,
    body: ts.TicketPatch,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    """Change any of the ticket's fields at once: all of them, or none (any refusal)."""
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        _patch(uow, actor, ticket_id, body)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.delete("/tickets/{ticket_id}", status_code=204, response_class=Response)
def delete_ticket(
    ticket_id: PathId,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    """Delete the ticket with its messages; its files go unless another message uses them."""
    began = time.time()
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        deleted = removal.delete_ticket(uow, actor, ticket_id)
    files.remove_unused(services.store, services.blobs, deleted.stored_names, since=began)
    return Response(status_code=204)
