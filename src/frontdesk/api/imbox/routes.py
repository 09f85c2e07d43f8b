"""ImBox ticket endpoints. The key and the account id travel in the path.

The key is never written to a log or an error message. `next` and attachment URLs do
carry it, as the vendor's do: they are only ever returned to the key's holder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import Scope as HttpScope

from frontdesk.api.common.files import attachment_download
from frontdesk.api.common.idempotency import KeyedRoutes
from frontdesk.api.common.responses import model_json
from frontdesk.api.common.tabular import csv_chunks, csv_response
from frontdesk.api.imbox import schemas as s
from frontdesk.api.imbox import translate as tr
from frontdesk.core.mail import submissions
from frontdesk.core.shared.errors import Forbidden
from frontdesk.core.shared.paging import Page
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import attachments, listing
from frontdesk.core.tickets.records import Attachment, EmailCursor, ListedEmail, ListedTicket
from frontdesk.http.auth import authenticated
from frontdesk.http.deps import services_of
from frontdesk.services import Services
from frontdesk.services.auth import require_scope
from frontdesk.services.fetch import FetchLimits, fetch_files
from frontdesk.settings import MIB, Settings

router = APIRouter(prefix="/message", tags=["imbox"])


def _path_key(scope: HttpScope, _headers: Headers) -> str:
    """The key in `/message/insertTicket/{apiKey}/{userId}`."""
    parts = str(scope["path"]).split("/")
    return parts[3] if len(parts) > 3 else ""


# insertTicket, the one create, takes an Idempotency-Key.
KEYED = KeyedRoutes("/message/insertTicket/", _path_key, routes=router.routes)
ATTACHMENTS_TOTAL = 50 * MIB  # the vendor's limit for all of one ticket's attachment URLs
T = TypeVar("T")
CSV_BATCH = 1000
R = TypeVar("R")


def _authorised(scope: Scope) -> Callable[..., Actor]:
    """The key's actor, if the key is valid (401), is the path's user's (403), has `scope`."""

    def dependency(request: Request, apiKey: str, userId: str) -> Actor:
        actor = authenticated(request, apiKey)
        if userId != str(actor.account_id):
            raise Forbidden("wrong_user", "This API key does not belong to this userId")
        return require_scope(actor, scope)

    return dependency


reader = _authorised(Scope.TICKETS_READ)
writer = _authorised(Scope.TICKETS_WRITE)


def batches(
    first: Page[T], following: Callable[[T], Page[T]], shape: Callable[[T], R]
) -> Iterator[list[R]]:
    """Every row from the first page on, one keyset batch (one read transaction) at a time."""
    page = first
    while True:
        yield [shape(item) for item in page.items]
        if not page.more or not page.items:
            return
        page = following(page.items[-1])


@router.get("/listTickets/{apiKey}/{userId}", response_model=s.TicketListOut)
def list_tickets(
    request: Request,
    apiKey: str,
    userId: str,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> Response:
    query = s.ticket_query(request.query_params)

    def page(after_id: int, limit: int) -> Page[ListedTicket]:
        with services.store.read() as uow:
            return listing.list_tickets(uow, actor, query.filters, after_id=after_id, limit=limit)

    if query.csv and not query.limited:  # the whole export, streamed in keyset batches
        first = page(query.after_id, CSV_BATCH)  # before streaming: errors still get a body
        batched = batches(first, lambda last: page(last.ticket.id, CSV_BATCH), tr.ticket_cells)
        return csv_response(csv_chunks(tr.TICKET_COLUMNS, batched), "tickets.csv")
    found = page(query.after_id, query.limit)
    after = tr.ticket_cursor(found.items[-1]) if found.more else None
    if query.csv:
        rows = [tr.ticket_cells(item) for item in found.items]
        following = _next(services.settings, "listTickets", apiKey, userId, request, after)
        return _csv_page(tr.TICKET_COLUMNS, rows, "tickets.csv", following)
    return tr.page_json(
        s.TicketListOut(
            data=[tr.ticket(item) for item in found.items],
            length=len(found.items),
            next=_next(services.settings, "listTickets", apiKey, userId, request, after),
        )
    )


@router.get("/listTicketsEmails/{apiKey}/{userId}", response_model=s.EmailListOut)
def list_tickets_emails(
    request: Request,
    apiKey: str,
    userId: str,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> Response:
    query = s.email_query(request.query_params)

    def page(after: EmailCursor | None, limit: int) -> Page[ListedEmail]:
        with services.store.read() as uow:
            return listing.list_emails(uow, actor, query.window, after=after, limit=limit)

    if query.csv and not query.limited:
        first = page(query.after, CSV_BATCH)
        batched = batches(
            first, lambda last: page(EmailCursor(last.created, last.id), CSV_BATCH), tr.email_cells
        )
        return csv_response(csv_chunks(tr.EMAIL_COLUMNS, batched), "emails.csv")
    found = page(query.after, query.limit)
    after = tr.email_cursor(found.items[-1]) if found.more else None
    if query.csv:
        rows = [tr.email_cells(item) for item in found.items]
        following = _next(services.settings, "listTicketsEmails", apiKey, userId, request, after)
        return _csv_page(tr.EMAIL_COLUMNS, rows, "emails.csv", following)
    return tr.page_json(
        s.EmailListOut(
            data=[tr.email(item) for item in found.items],
            length=len(found.items),
            next=_next(services.settings, "listTicketsEmails", apiKey, userId, request, after),
        )
    )


def _csv_page(
    columns: Sequence[str], rows: Sequence[Sequence[object]], filename: str, following: str | None
) -> Response:
    """One page as CSV: `limit` rows, as JSON has; a CSV body has no room for `next`, so
    the next page's URL (the same one JSON gives) is the `Link: <...>; rel="next"` header."""
    response = csv_response(csv_chunks(columns, [rows]), filename)
    if following is not None:
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _next(
    settings: Settings,
    endpoint: str,
    api_key: str,
    user_id: str,
    request: Request,
    cursor: dict[str, str] | None,
) -> str | None:
    if cursor is None:
        return None
    path = (endpoint, api_key, user_id)
    return tr.next_url(settings.public_base_url, path, request.query_params, cursor)


@router.get("/grabTicket/{apiKey}/{userId}/{ticketId}", response_model=s.GrabOut)
def grab_ticket(
    apiKey: str,
    userId: str,
    ticketId: str,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> Response:
    ticket_id = s.ticket_id(ticketId)
    base = services.settings.public_base_url

    def url(attachment: Attachment) -> str:
        return tr.attachment_url(base, apiKey, userId, attachment.id)

    with services.store.read() as uow:
        view = listing.view_ticket(uow, actor, ticket_id)
    return model_json(tr.grab(view, url))


@router.get("/attachment/{apiKey}/{userId}/{attachmentId}")
def download_attachment(
    attachmentId: str,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> Response:
    """Where grabTicket's attachment URLs point: same key, same account, Tickets Read."""
    with services.store.read() as uow:
        record = attachments.get_attachment(uow, actor, s.attachment_id(attachmentId))
    return attachment_download(record, services.blobs)


@router.post("/insertTicket/{apiKey}/{userId}", response_model=s.InsertOut)
def insert_ticket(
    body: s.InsertTicketIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    settings = services.settings
    # Fetched before the transaction: a slow download must not hold the write lock.
    files = fetch_files(body.attachments, _fetch_limits(settings)) if body.attachments else []
    with services.store.write() as uow:
        done = submissions.submit(
            uow,
            services.blobs,
            actor,
            tr.submission(body, files),
            file_limit=settings.max_attachment_bytes,
        )
    return model_json(tr.inserted(done.opened.ticket.id))


def _fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        total_bytes=ATTACHMENTS_TOTAL,
        file_bytes=min(settings.max_attachment_bytes, ATTACHMENTS_TOTAL),
        timeout=settings.fetch_timeout_seconds,
        allow_private=settings.allow_private_fetch,
    )
