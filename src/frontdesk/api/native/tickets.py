"""Frontdesk's own ticket endpoints: thin wrappers over core.tickets and core.threads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from frontdesk.api.common.files import (
    attachment_download,
    form_file,
    multipart_body,
    upload_form,
)
from frontdesk.api.common.idempotency import KeyedRoutes, bearer
from frontdesk.api.common.responses import model_json
from frontdesk.api.native import schemas as s
from frontdesk.api.native import translate as out
from frontdesk.api.native.deps import etag, if_match, scoped
from frontdesk.core import tickets
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.core.tickets import NewMessage, NewTicket, attachments, threads
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import VersionCondition
from frontdesk.http.deps import PathId, services_of
from frontdesk.http.limits import takes_upload
from frontdesk.http.uploads import store_upload
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["tickets"])
# Every POST of the native API takes an Idempotency-Key (docs/native.md); uploads are here.
KEYED = KeyedRoutes("/api/v1/", bearer, routes=router.routes)
reader = scoped(Scope.TICKETS_READ)
writer = scoped(Scope.TICKETS_WRITE)
# Every change of one ticket honours If-Match; every answer that is one ticket has its ETag.
IfMatch = Annotated[VersionCondition | None, Depends(if_match)]


def _message(body: s.MessageIn) -> NewMessage:
    return NewMessage(
        body_text=body.body,
        body_html=body.body_html,
        kind=body.kind,
        agent_id=body.agent_id,
        from_email=body.from_email,
        from_name=body.from_name,
        to=tuple(body.to),
        cc=tuple(body.cc),
        bcc=tuple(body.bcc),
        attachment_ids=tuple(body.attachment_ids),
    )


def _render(
    uow: TicketsUnit, actor: Actor, ticket_id: int, services: Services, *, thread: bool
) -> s.TicketOut:
    base = services.settings.public_base_url
    if thread:
        loaded = tickets.load_thread(uow, actor, ticket_id)
        return out.ticket(loaded.ticket, loaded.details, loaded.messages, loaded.attachments, base)
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    return out.ticket(ticket, tickets.details_of(uow, ticket), base_url=base)


def _tagged(rendered: s.TicketOut, status_code: int = 200) -> Response:
    return model_json(rendered, status_code=status_code, headers={"ETag": etag(rendered.version)})


def _guard(
    uow: TicketsUnit, actor: Actor, ticket_id: int, condition: VersionCondition | None
) -> None:
    """If-Match, checked under the ticket's lock in the change's own transaction."""
    if condition is not None:
        tickets.expect_version(uow, actor, ticket_id, condition)


@router.post("/tickets", response_model=s.TicketOut, status_code=201)
def create_ticket(
    body: s.TicketIn, actor: Actor = Depends(writer), services: Services = Depends(services_of)
) -> Response:
    new = NewTicket(
        subject=body.subject,
        message=_message(body.message),
        requester_email=body.requester_email,
        requester_name=body.requester_name,
        inbox_id=body.inbox_id,
        category_id=body.category_id,
        department_id=body.department_id,
        priority=body.priority,
        status=body.message.status,
        labels=tuple(body.labels),
        tags=tuple(body.tags),
        assignee_ids=tuple(body.assignee_ids),
        custom_fields=body.custom_fields,
        notes=body.notes,
        append_to_open=body.append_to_open,
    )
    with services.store.write() as uow:
        opened = tickets.open_ticket(uow, actor, new)
        thread = tickets.thread_of_opened(uow, actor, new, opened)
    base = services.settings.public_base_url
    created = out.ticket(thread.ticket, thread.details, thread.messages, thread.attachments, base)
    return _tagged(created, status_code=201)


@router.get("/tickets/{ticket_id}", response_model=s.TicketOut)
def get_ticket(
    ticket_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    with services.store.read() as uow:
        return _tagged(_render(uow, actor, ticket_id, services, thread=True))


@router.post("/tickets/{ticket_id}/messages", response_model=s.TicketOut, status_code=201)
def add_message(
    ticket_id: PathId,
    body: s.MessageIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.add_message(uow, actor, ticket_id, _message(body), status=body.status)
        return _tagged(_render(uow, actor, ticket_id, services, thread=True), status_code=201)


@router.post("/tickets/{ticket_id}/status", response_model=s.TicketOut)
def set_status(
    ticket_id: PathId,
    body: s.StatusIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.set_status(uow, actor, ticket_id, body.status, reason=body.reason, force=body.force)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.put("/tickets/{ticket_id}/labels", response_model=s.TicketOut)
def set_labels(
    ticket_id: PathId,
    body: s.ValuesIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.set_labels(uow, actor, ticket_id, body.values)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.put("/tickets/{ticket_id}/tags", response_model=s.TicketOut)
def set_tags(
    ticket_id: PathId,
    body: s.ValuesIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.set_tags(uow, actor, ticket_id, body.values)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.put("/tickets/{ticket_id}/assignees", response_model=s.TicketOut)
def set_assignees(
    ticket_id: PathId,
    body: s.AssignIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.assign(uow, actor, ticket_id, body.agent_ids)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.post("/tickets/{ticket_id}/merge", response_model=s.TicketOut)
def merge(
    ticket_id: PathId,
    body: s.MergeIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    """Merge this ticket into `target_id`; If-Match is this (the source) ticket's ETag."""
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        merged = threads.merge(uow, actor, ticket_id, body.target_id, force=body.force)
        return _tagged(_render(uow, actor, merged.target.id, services, thread=False))


@router.post("/tickets/{ticket_id}/split", response_model=s.SplitOut, status_code=201)
def split(
    ticket_id: PathId,
    body: s.SplitIn,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> s.SplitOut:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        result = threads.split(uow, actor, ticket_id, body.message_ids, body.subject)
        return s.SplitOut(
            ticket=_render(uow, actor, result.new_ticket.id, services, thread=False),
            moved=result.moved,
        )


@router.post("/tickets/{ticket_id}/archive", response_model=s.TicketOut)
def archive(
    ticket_id: PathId,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.archive(uow, actor, ticket_id)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.post("/tickets/{ticket_id}/unarchive", response_model=s.TicketOut)
def unarchive(
    ticket_id: PathId,
    condition: IfMatch,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Response:
    with services.store.write() as uow:
        _guard(uow, actor, ticket_id, condition)
        tickets.unarchive(uow, actor, ticket_id)
        return _tagged(_render(uow, actor, ticket_id, services, thread=False))


@router.post(
    "/attachments",
    response_model=s.AttachmentOut,
    status_code=201,
    openapi_extra=multipart_body("attachment", ticket_id="integer"),
)
@takes_upload
async def upload_attachment(
    request: Request, actor: Actor = Depends(writer), services: Services = Depends(services_of)
) -> s.AttachmentOut:
    """Multipart field `attachment`, and optionally `ticket_id`; read once the key is known."""
    form = await upload_form(request)
    limit = services.settings.max_attachment_bytes
    file = form_file(form, ("attachment",), "attachment")
    ticket_id = _form_ticket_id(form.get("ticket_id"))

    def store() -> s.AttachmentOut:
        item = store_upload(file, services.blobs, limit, ticket_id)
        with services.store.write() as uow:
            stored = attachments.upload_stored(uow, actor, item, limit)
        return out.attachment(stored, services.settings.public_base_url)

    return await run_in_threadpool(store)


def _form_ticket_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdecimal() and 1 <= int(value) <= MAX_ROW_ID:
        return int(value)
    raise Invalid("invalid", "ticket_id must be a ticket id", field="ticket_id")


@router.get("/attachments/{attachment_id}")
def download_attachment(
    attachment_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    with services.store.read() as uow:
        record = attachments.get_attachment(uow, actor, attachment_id)
    return attachment_download(record, services.blobs)
