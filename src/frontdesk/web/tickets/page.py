"""The ticket page: the thread, the side panel, and every action on one ticket.

Each action is a plain form (it works without JavaScript) posting to its own path, one
core call in one transaction, then a redirect back to the page (303). The reply form is
multipart, so files come along from the browser.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response, StreamingResponse

from frontdesk.core import tickets
from frontdesk.core.automation import csat, service_levels
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.mail import desk, replies
from frontdesk.core.mail.inline import INLINE_PATH
from frontdesk.core.mail.replies import TeamMessage
from frontdesk.core.rules import define
from frontdesk.core.rules.records import RuleKind
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.tickets import attachments, drafts, queues, threads
from frontdesk.core.tickets.records import Priority, Sort, Status, TicketQuery
from frontdesk.core.tickets.search import search_words
from frontdesk.http.deps import PathId, services_from
from frontdesk.http.limits import takes_upload
from frontdesk.http.uploads import store_uploads
from frontdesk.web import session
from frontdesk.web.forms import comma_words, form_id
from frontdesk.web.i18n import N_, gettext
from frontdesk.web.security import web_router
from frontdesk.web.templating import render
from frontdesk.web.tickets.workspace import workspace

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Body = Annotated[str, Form(max_length=1_000_000)]
Short = Annotated[str, Form(max_length=5000)]
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FOUND_LIMIT = 8


def _page_context(uow: Any, signed: SignedIn, ticket_id: int) -> dict[str, Any]:
    found = desk.ticket_desk(uow, signed.actor, ticket_id)
    names = {inbox.id: inbox.name for inbox in found.inboxes.values()}
    context = workspace(uow, signed, inbox_names=names)
    context.update(
        desk=found,
        ticket=found.thread.ticket,
        drafts=drafts.of_ticket(uow, signed.actor, ticket_id),
        statuses=list(Status),
        priorities=list(Priority),
        requester_name=(found.requester.name or found.requester.email) if found.requester else "",
        satisfaction=csat.satisfaction(
            uow, signed.actor, ticket_id, found.thread.ticket.requester_id
        ),
        macros=[
            (str(m.id), m.name)
            for m in define.list_rules(uow, signed.actor, RuleKind.MACRO)
            if m.active
        ],
        sla=service_levels.clocks_of(uow, found.thread.ticket),
    )
    return context


def _show(
    request: Request,
    ticket_id: int,
    *,
    status_code: int = 200,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    services = services_from(request)
    with session.reading(request) as (uow, signed):
        context = _page_context(uow, signed, ticket_id)
    context.update(extra or {})
    if context["desk"].unread:
        with services.store.write() as uow:
            queues.mark_read(uow, signed.actor, ticket_id)
    part = request.query_params.get("part")
    return render(request, "tickets/ticket.html", context, fragment=part, status_code=status_code)


def _back(ticket_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/tickets/{ticket_id}{anchor}", status_code=303)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ticket_id: PathId) -> Response:
    part = request.query_params.get("part")
    if part not in (None, "thread", "side", "presence"):
        raise Invalid("invalid_part", "No such part of the page", field="part")
    return _show(request, ticket_id)


@router.get(INLINE_PATH)
def inline_image(request: Request, attachment_id: PathId, signed: Signed) -> Response:
    """An image a mail showed in place (`cid:`), at the address the mail parser wrote
    into the stored body (core/mail/inline.py): the account's own attachments only, and
    only image types inline (anything else downloads)."""
    services = services_from(request)
    with services.store.read() as uow:
        item, data = attachments.read(uow, services.blobs, signed.actor, attachment_id)
    return served(item, data, inline=True)


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}")
def attachment(
    request: Request, ticket_id: PathId, attachment_id: PathId, signed: Signed, inline: bool = False
) -> Response:
    services = services_from(request)
    with services.store.read() as uow:
        item = attachments.get_attachment(uow, signed.actor, attachment_id)
    if item.ticket_id != ticket_id:
        raise NotFound("attachment_not_found", f"No attachment {attachment_id}")
    # Streamed from the blob store a chunk at a time (opened here: missing bytes are a 404).
    return served(item, services.blobs.stream(item.stored_name), inline=inline)


def served(item: Any, data: bytes | Iterator[bytes], *, inline: bool = False) -> Response:
    """An attachment as a download (or an image inline, when asked), sandboxed; the
    portal serves its files through this too. Chunks are streamed, with the stored size."""
    shown_inline = inline and item.content_type in INLINE_IMAGES
    disposition = "inline" if shown_inline else "attachment"
    quoted = item.original_name.replace("\\", "_").replace('"', "_")
    media_type = item.content_type if shown_inline else "application/octet-stream"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{quoted}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    if isinstance(data, bytes):
        return Response(data, media_type=media_type, headers=headers)
    headers["Content-Length"] = str(item.size)
    return StreamingResponse(data, media_type=media_type, headers=headers)


@router.post("/tickets/{ticket_id}/reply", response_class=HTMLResponse)
@takes_upload
def reply(
    request: Request,
    ticket_id: PathId,
    signed: Signed,
    body: Body,
    to: Short = "",
    cc: Short = "",
    bcc: Short = "",
    then: Annotated[str, Form(max_length=20)] = "",
    seen: Annotated[int, Form(ge=0)] = 0,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    services = services_from(request)
    status = {"": None, "pending": Status.PENDING, "solved": Status.SOLVED}.get(then)
    new = TeamMessage(
        body_text=body,
        send_email=True,
        to=_addresses(to),
        cc=_addresses(cc),
        bcc=_addresses(bcc),
        status=status,
        seen_customer_at=seen,
    )
    limit = services.settings.max_attachment_bytes
    # Streamed into the blob store before the transaction: no file is held in memory, and
    # no write lock is held while its bytes are copied.
    uploads = store_uploads(files, services.blobs, limit)
    try:
        with services.store.write() as uow:
            message = replies.post_with_files(
                uow, signed.actor, ticket_id, new, uploads, limit
            ).message
    except Conflict as exc:
        if exc.code != "stale_reply":
            raise
        return _stale(request, signed, ticket_id, new)
    return _back(ticket_id, f"#message-{message.id}")


def _stale(request: Request, signed: SignedIn, ticket_id: int, new: TeamMessage) -> Response:
    """The customer wrote since the reply began: keep it as a draft and show the ticket."""
    services = services_from(request)
    text = drafts.DraftText(
        new.body_text, ", ".join(new.to), ", ".join(new.cc or ()), ", ".join(new.bcc)
    )
    with services.store.write() as uow:
        drafts.save(uow, signed.actor, ticket_id, "reply", text)
    return _show(request, ticket_id, status_code=409, extra={"stale": True})


def _addresses(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


@router.post("/tickets/{ticket_id}/note")
def note(request: Request, ticket_id: PathId, signed: Signed, body: Body) -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        posted = replies.post(uow, signed.actor, ticket_id, TeamMessage(body, internal=True))
    message = posted.message
    return _back(ticket_id, f"#message-{message.id}")


@router.post("/tickets/{ticket_id}/draft")
def save_draft(
    request: Request,
    ticket_id: PathId,
    signed: Signed,
    kind: Annotated[str, Form(max_length=8)],
    body: Body = "",
    to: Short = "",
    cc: Short = "",
    bcc: Short = "",
) -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        drafts.save(uow, signed.actor, ticket_id, kind, drafts.DraftText(body, to, cc, bcc))
    return Response(status_code=204)


@router.post("/tickets/{ticket_id}/status")
def set_status(
    request: Request, ticket_id: PathId, signed: Signed, status: Annotated[str, Form()]
) -> Response:
    with services_from(request).store.write() as uow:
        tickets.set_status(uow, signed.actor, ticket_id, _enum(Status, status, "status"))
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/priority")
def set_priority(
    request: Request, ticket_id: PathId, signed: Signed, priority: Annotated[str, Form()]
) -> Response:
    with services_from(request).store.write() as uow:
        tickets.set_priority(uow, signed.actor, ticket_id, _enum(Priority, priority, "priority"))
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/assign")
def assign(
    request: Request,
    ticket_id: PathId,
    signed: Signed,
    agents: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    ids = [
        signed.agent.id if value == "me" else form_id(value, "agents") for value in agents if value
    ]
    with services_from(request).store.write() as uow:
        tickets.assign(uow, signed.actor, ticket_id, ids)
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/labels")
def set_labels(request: Request, ticket_id: PathId, signed: Signed, labels: Short = "") -> Response:
    with services_from(request).store.write() as uow:
        tickets.set_labels(uow, signed.actor, ticket_id, comma_words(labels))
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/tags")
def set_tags(request: Request, ticket_id: PathId, signed: Signed, tags: Short = "") -> Response:
    with services_from(request).store.write() as uow:
        tickets.set_tags(uow, signed.actor, ticket_id, comma_words(tags))
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/fields")
async def set_fields(request: Request, ticket_id: PathId, signed: Signed) -> Response:
    form = await request.form()
    values = {
        str(key)[6:]: (str(value) or None)
        for key, value in form.multi_items()
        if str(key).startswith("field:") and isinstance(value, str)
    }
    services = services_from(request)

    def write() -> None:
        with services.store.write() as uow:
            tickets.set_custom_fields(uow, signed.actor, ticket_id, values)

    try:
        await run_in_threadpool(write)
    except Invalid as refused:  # a value its field's type does not take: nothing saved
        extra = {"field_refusal": _field_refusal(refused), "typed_fields": values}
        return await run_in_threadpool(_show, request, ticket_id, status_code=422, extra=extra)
    return _back(ticket_id, "#side-fields")


# What the ticket page says under a custom field whose value the core refused.
FIELD_ERRORS = {
    "field_not_a_number": N_("Write a number, such as 12 or 4.5."),
    "field_not_a_date": N_("Write a date as YYYY-MM-DD."),
    "field_not_yes_no": N_("Tick it, or leave it empty."),
    "field_not_an_option": N_("Choose one of the options."),
    "too_long": N_("At most 10,000 characters."),
    "unknown_field": N_("A field was removed or renamed meanwhile. Reload the page."),
}


def _field_refusal(refused: Invalid) -> tuple[str, str]:
    """(the field's name, or "" for the form as a whole; the words to show)."""
    name = (refused.field or "").removeprefix("custom_fields.")
    words = FIELD_ERRORS.get(refused.code, N_("Check the value and try again."))
    return ("" if name == refused.field else name), gettext(words)


@router.post("/tickets/{ticket_id}/merge")
def merge(
    request: Request, ticket_id: PathId, signed: Signed, target: Annotated[int, Form(ge=1)]
) -> Response:
    with services_from(request).store.write() as uow:
        merged = threads.merge(uow, signed.actor, ticket_id, target)
    return _back(merged.target.id)


@router.post("/tickets/{ticket_id}/link")
def link(
    request: Request, ticket_id: PathId, signed: Signed, target: Annotated[int, Form(ge=1)]
) -> Response:
    with services_from(request).store.write() as uow:
        tickets.link(uow, signed.actor, ticket_id, target)
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/split")
def split(
    request: Request,
    ticket_id: PathId,
    signed: Signed,
    messages: Annotated[list[int], Form()] = [],  # noqa: B006
    subject: Short = "",
) -> Response:
    with services_from(request).store.write() as uow:
        done = threads.split(uow, signed.actor, ticket_id, messages, subject or None)
    return _back(done.new_ticket.id)


@router.post("/tickets/{ticket_id}/archive")
def archive(request: Request, ticket_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        ticket = tickets.get_ticket(uow, signed.actor, ticket_id)
        if ticket.archived_at is None:
            tickets.archive(uow, signed.actor, ticket_id)
        else:
            tickets.unarchive(uow, signed.actor, ticket_id)
    return _back(ticket_id)


@router.get("/tickets/{ticket_id}/find", response_class=HTMLResponse)
def find(request: Request, ticket_id: PathId, signed: Signed, q: str = "") -> Response:
    """Tickets to merge into or link to, found by the same search as the queue."""
    words = search_words(q[:500] or None)
    services = services_from(request)
    with services.store.read() as uow:
        found = (
            queues.page(uow, signed.actor, TicketQuery(words=words, merged=False), Sort.ACTIVITY,
                        limit=FOUND_LIMIT).rows
            if words
            else []
        )  # fmt: skip
    rows = [row for row in found if row.ticket.id != ticket_id]
    return render(request, "tickets/_found.html", {"rows": rows, "ticket_id": ticket_id, "q": q})


def _enum(kind: Any, value: str, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise Invalid("invalid_value", f"No {field} {value[:40]!r}", field=field) from None
