"""The v3 customer API under /v3/tickets: thin routes over core.customers (docs/v3.md).

Every request carries a customer token in `PRIVATE-TOKEN`; it stands for one contact of
one account, and that contact's tickets are all it sees.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Scope as HttpScope

from frontdesk.api.common.files import attachment_download, form_file, upload_form
from frontdesk.api.common.idempotency import KeyedRoutes
from frontdesk.api.v3 import schemas as s
from frontdesk.api.v3 import translate as out
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import customers
from frontdesk.core.tickets.customers import ContactForm, NewCustomerTicket
from frontdesk.http.auth import authenticated
from frontdesk.http.deps import services_of
from frontdesk.http.limits import takes_upload
from frontdesk.http.ratelimit import RateLimiter, retry_after
from frontdesk.http.uploads import store_upload
from frontdesk.services import Services

router = APIRouter(prefix="/v3/tickets", tags=["v3"])

TicketId = Annotated[int, Path(alias="ticketId", ge=1, le=s.MAX_ID)]
AttachmentId = Annotated[int, Path(alias="attachmentId", ge=1, le=s.MAX_ID)]
_token = APIKeyHeader(name="PRIVATE-TOKEN", auto_error=False)


def _private_token(_scope: HttpScope, headers: Headers) -> str:
    return headers.get("private-token", "")


# Every POST (tickets, the contact form, uploads, replies) takes an Idempotency-Key; a
# customer token's keys are its contact's own.
KEYED = KeyedRoutes("/v3/tickets", _private_token, CredentialKind.CUSTOMER, router.routes)


# Dependencies that do no I/O are async: FastAPI runs a plain `def` one in the thread pool.


def customer(request: Request, token: str | None = Security(_token)) -> Actor:
    return authenticated(request, token or "", CredentialKind.CUSTOMER)


async def ranged(
    ranged_data: str | None = Header(default=None, alias="RANGED-DATA"),
) -> s.Range:
    return s.parse_range(ranged_data)


async def contact_form_limit(request: Request) -> None:
    """Every attempt from a client address counts, whatever becomes of it."""
    limiter: RateLimiter = request.app.state.contact_form_limiter
    wait = limiter.attempt(request.client.host if request.client else "unknown")
    if wait:
        raise HTTPException(
            429,
            "Too many contact form submissions from this address; try again later",
            headers={"Retry-After": retry_after(wait)},
        )


Customer = Annotated[Actor, Depends(customer)]
Svc = Annotated[Services, Depends(services_of)]


def _secret(services: Services) -> str:
    return services.settings.secret_key


@router.get("/categories", response_model=list[str])
def categories(actor: Customer, services: Svc) -> list[str]:
    with services.store.read() as uow:
        return customers.categories(uow, actor)


def _page(
    response: Response, services: Services, actor: Actor, span: s.Range, *, unread: bool
) -> list[s.TicketOut]:
    with services.store.read() as uow:
        page = customers.list_tickets(
            uow, actor, start=span.start, results=span.results, open_or_unread=unread
        )
    response.headers["RANGED-DATA"] = s.range_header(page.start, len(page.items), page.total)
    return out.tickets(page.items, _secret(services))


@router.get("", response_model=list[s.TicketOut])
def list_tickets(
    response: Response, actor: Customer, services: Svc, span: s.Range = Depends(ranged)
) -> list[s.TicketOut]:
    return _page(response, services, actor, span, unread=False)


@router.get("/openOrUnread", response_model=list[s.TicketOut])
def open_or_unread(
    response: Response, actor: Customer, services: Svc, span: s.Range = Depends(ranged)
) -> list[s.TicketOut]:
    return _page(response, services, actor, span, unread=True)


@router.post("", response_model=s.TicketOut)
def create_ticket(body: s.TicketIn, actor: Customer, services: Svc) -> s.TicketOut:
    new = NewCustomerTicket(
        title=body.title,
        content=body.content,
        category=body.category,
        department=body.department,
        to=s.split_csv(body.emailTo),
        cc=s.split_csv(body.emailCc),
        attachment_ids=tuple(body.attachmentIds),
    )
    with services.store.write() as uow:
        created = customers.open_ticket(uow, actor, new)
    return out.ticket(created, _secret(services))


@router.post("/contact", response_model=s.TicketOut, dependencies=[Depends(contact_form_limit)])
def contact_form(body: s.ContactIn, actor: Customer, services: Svc) -> s.TicketOut:
    form = ContactForm(
        first_name=body.firstName,
        last_name=body.lastName,
        email=body.email,
        phone=body.phone,
        title=body.title,
        category=body.category,
        company=body.companyName or None,
        content=body.content,
    )
    with services.store.write() as uow:
        created = customers.submit_contact_form(uow, actor, form)
    return out.ticket(created, _secret(services))


@router.post("/attachment", response_model=s.UploadOut)
@takes_upload
async def upload_attachment(request: Request, actor: Customer, services: Svc) -> s.UploadOut:
    """Multipart field `attachment`, read once the token is known, and streamed into the
    blob store (never held whole in memory)."""
    limit = services.settings.max_attachment_bytes
    form = await upload_form(request)
    file = form_file(form, ("attachment",), "attachment")

    def store() -> int:
        item = store_upload(file, services.blobs, limit)
        with services.store.write() as uow:
            return customers.upload(uow, actor, item, limit).id

    return s.UploadOut(attachmentId=await run_in_threadpool(store))


@router.delete("/attachment/{attachmentId}", status_code=204)
def delete_attachment(attachment_id: AttachmentId, actor: Customer, services: Svc) -> Response:
    with services.store.write() as uow:
        customers.delete_upload(uow, actor, attachment_id)
    return Response(status_code=204)


@router.get("/{ticketId}", response_model=s.TicketDetailOut)
def get_ticket(ticket_id: TicketId, actor: Customer, services: Svc) -> s.TicketDetailOut:
    with services.store.write() as uow:  # reading stamps clientLastReadAt
        thread = customers.read_ticket(uow, actor, ticket_id)
    return out.thread(thread, _secret(services))


@router.get(
    "/{ticketId}/attachment/{attachmentId}",
    responses={
        200: {
            "description": "With `Accept: application/json`, the file's bytes as a base64 "
            "string (the spec's `application/json` string); else the bytes themselves",
            "content": {
                "application/json": {"schema": {"type": "string", "format": "byte"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def download_attachment(
    ticket_id: TicketId,
    attachment_id: AttachmentId,
    actor: Customer,
    services: Svc,
    accept: str | None = Header(default=None, include_in_schema=False),
) -> Response:
    with services.store.read() as uow:
        record = customers.find_attachment(uow, actor, ticket_id, attachment_id)
    if out.wants_json(accept):
        # The JSON form carries the bytes in base64: it needs them whole (docs/v3.md).
        return out.attachment_json(services.blobs.open(record.stored_name))
    response = attachment_download(record, services.blobs)
    response.headers["Vary"] = "Accept"
    return response


@router.post("/{ticketId}/reply", response_model=s.TicketOut)
def reply(ticket_id: TicketId, body: s.ReplyIn, actor: Customer, services: Svc) -> s.TicketOut:
    with services.store.write() as uow:
        updated = customers.reply(uow, actor, ticket_id, body.content, body.attachmentIds)
    return out.ticket(updated, _secret(services))


@router.put("/{ticketId}/open", status_code=204)
def open_ticket(ticket_id: TicketId, actor: Customer, services: Svc) -> Response:
    with services.store.write() as uow:
        customers.set_status(uow, actor, ticket_id, out.status_for(out.OPEN))
    return Response(status_code=204)


@router.put("/{ticketId}/close", status_code=204)
def close_ticket(ticket_id: TicketId, actor: Customer, services: Svc) -> Response:
    with services.store.write() as uow:
        customers.set_status(uow, actor, ticket_id, out.status_for(out.CLOSED))
    return Response(status_code=204)
