"""The customer portal: an account's own support site at /portal/<account public id>.

No agent chrome and no password: a visitor sends a request through the account's contact
form (the same core function and rules as the v3 contact form), and signs in with a
one-time link mailed through the outbox to see and answer their own tickets, with the
v3 API's rules (core/tickets/customers.py). docs/portal.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity import business, portal
from frontdesk.core.identity.portal import CustomerSignedIn
from frontdesk.core.mail import notices
from frontdesk.core.shared.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
)
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.tickets import customers
from frontdesk.core.tickets.attachments import StoredFile
from frontdesk.core.tickets.customers import ContactForm, FormFiles
from frontdesk.core.tickets.records import Status
from frontdesk.http.deps import services_from
from frontdesk.http.errors import STATUS_BY_KIND
from frontdesk.http.limits import takes_upload
from frontdesk.http.ratelimit import RateLimiter, retry_after
from frontdesk.http.uploads import store_uploads
from frontdesk.services import Services
from frontdesk.web import i18n
from frontdesk.web import session as agent_session
from frontdesk.web.i18n import gettext as _
from frontdesk.web.portal import session
from frontdesk.web.portal.session import PortalSignInRequired, Visit
from frontdesk.web.security import web_router
from frontdesk.web.templating import render
from frontdesk.web.tickets.page import served

router = web_router(prefix="/portal/{slug}")
Slug = Annotated[str, Path(max_length=64)]
Id = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Line = Annotated[str, Form(max_length=1000)]
Body = Annotated[str, Form(max_length=customers.MAX_FORM_CONTENT)]
Files = Annotated[list[UploadFile], File()]
PAGE = 25
# What a form answers on the page itself, next to what was typed; anything else is an error page.
FORM_PROBLEMS = (Invalid, TooLarge, Conflict)


def _status(error: DomainError) -> int:
    return STATUS_BY_KIND.get(error.kind, 400)


async def _post(request: Request, slug: Slug) -> Visit:
    return await session.checked(request, slug)


async def _customer_post(request: Request, slug: Slug) -> tuple[Visit, CustomerSignedIn]:
    return await session.signed(request, slug)


Posted = Annotated[Visit, Depends(_post)]
CustomerPosted = Annotated[tuple[Visit, CustomerSignedIn], Depends(_customer_post)]


def _page(
    request: Request,
    found: Visit,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    values = {
        "account": found.account,
        "customer": found.customer,
        "base": _base(found),
        "file_size": file_size,
        "account_logo": business.logo_path(found.account),
    }
    response = render(
        request, template, {**values, **(context or {})}, status_code=status_code, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return session.set_cookies(response, request)


def _base(found: Visit) -> str:
    return f"/portal/{found.account.public_id}"


@router.get("/logo")
def logo(request: Request, slug: Slug) -> Response:
    """The account's logo, for anyone (customers see it before they sign in): no cookies,
    no session, cacheable; raster types only (core.identity.business)."""
    services = services_from(request)
    with services.store.read() as uow:
        account = portal.portal_account(uow, slug)
    data, media_type = business.logo_of(services.blobs, account)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)


def _files(services: Services, files: list[UploadFile]) -> tuple[StoredFile, ...]:
    """The form's files streamed into the blob store, none held whole in memory."""
    return store_uploads(files, services.blobs, services.settings.max_attachment_bytes)


def sign_in_redirect(request: Request, exc: PortalSignInRequired) -> Response:
    """A signed-out visitor to a customer's page goes to the portal's sign-in."""
    return RedirectResponse(f"/portal/{exc.slug}/signin", status_code=303)


# -- the request form ---------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def request_form(request: Request, slug: Slug) -> Response:
    found = session.visit(request, slug)
    return _form(request, found, _prefill(found))


def _prefill(found: Visit) -> dict[str, str]:
    contact = found.customer.contact if found.customer else None
    if contact is None:
        return {}
    first, _space, last = (contact.name or "").partition(" ")
    return {
        "first_name": first,
        "last_name": last,
        "email": contact.email,
        "phone": contact.phone or "",
        "company": contact.company or "",
    }


def _form(
    request: Request,
    found: Visit,
    values: Mapping[str, str],
    *,
    error: DomainError | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    services = services_from(request)
    with services.store.read() as uow:
        categories, departments = customers.contact_form_choices(uow, found.account.id)
    context = {
        "values": values,
        "categories": [(name, name) for name in categories],
        "departments": [(name, name) for name in departments],
        "error": _error_words(error) if error else None,
        "error_field": error.field if error else None,
        "max_bytes": services.settings.max_attachment_bytes,
        "max_files": customers.MAX_FORM_FILES,
    }
    return _page(
        request, found, "portal/form.html", context, status_code=status_code, headers=headers
    )


@router.post("", response_class=HTMLResponse)
@takes_upload
def submit_request(
    request: Request,
    found: Posted,
    first_name: Line = "",
    last_name: Line = "",
    email: Line = "",
    phone: Line = "",
    company: Line = "",
    title: Line = "",
    content: Body = "",
    category: Line = "",
    department: Line = "",
    files: Files = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    values = {
        "first_name": first_name, "last_name": last_name, "email": email, "phone": phone,
        "company": company, "title": title, "content": content, "category": category,
        "department": department,
    }  # fmt: skip
    limiter: RateLimiter = request.app.state.contact_form_limiter
    wait = limiter.attempt(request.client.host if request.client else "unknown")
    if wait:
        limited = RateLimited("rate_limited", "Too many requests", retry_after=wait)
        return _form(request, found, values, error=limited, status_code=429,
                     headers={"Retry-After": retry_after(wait)})  # fmt: skip
    services = services_from(request)
    form = ContactForm(
        first_name=first_name, last_name=last_name, email=email, phone=phone, title=title,
        category=category, company=company or None, content=content or None,
        department=department or None,
    )  # fmt: skip
    actor = portal.form_actor(found.account)
    try:
        # Counted before the first is stored: a refused form leaves no file behind.
        customers.check_file_count(sum(1 for f in files if f.filename))
        attached = FormFiles(_files(services, files), services.settings.max_attachment_bytes)
        with services.store.write() as uow:
            created = customers.submit_contact_form(uow, actor, form, attached)
    except FORM_PROBLEMS as exc:
        return _form(request, found, values, error=exc, status_code=_status(exc))
    context = {"number": created.ticket.number, "email": email.strip()}
    return _page(request, found, "portal/sent.html", context)


# -- signing in -------------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
def sign_in_page(request: Request, slug: Slug, email: str = "") -> Response:
    found = session.visit(request, slug)
    if found.customer is not None:
        return RedirectResponse(_base(found) + "/tickets", status_code=303)
    return _page(request, found, "portal/signin.html", {"email": email[:320], "sent": False})


@router.post("/signin", response_class=HTMLResponse)
def ask_for_link(request: Request, found: Posted, email: Line = "") -> Response:
    services = services_from(request)
    settings = services.settings
    try:
        with services.store.write() as uow:
            notices.request_portal_link(
                uow, found.account.id, email, agent_session.client_of(request),
                session.policy(settings), settings.public_base_url,
                language=i18n.for_request(request).locale.language,
            )  # fmt: skip
    except RateLimited as exc:
        context = {"email": email[:320], "sent": False, "error": _error_words(exc)}
        headers = {"Retry-After": retry_after(exc.retry_after)}
        return _page(request, found, "portal/signin.html", context, status_code=429,
                     headers=headers)  # fmt: skip
    except Invalid as exc:
        context = {"email": email[:320], "sent": False, "error": _error_words(exc)}
        return _page(request, found, "portal/signin.html", context, status_code=400)
    minutes = max(1, settings.portal_link_seconds // 60)
    context = {"email": email[:320], "sent": True, "link_minutes": minutes}
    return _page(request, found, "portal/signin.html", context)


@router.get("/signin/{token}", response_class=HTMLResponse)
def link_page(
    request: Request, slug: Slug, token: Annotated[str, Path(max_length=100)]
) -> Response:
    """Only shows a button: mail scanners open links, and must not use them up."""
    found = session.visit(request, slug)
    services = services_from(request)
    try:
        with services.store.read() as uow:
            portal.check_link(uow, found.account.id, token)
    except NotFound:
        return _page(request, found, "portal/link.html", {"valid": False}, status_code=404)
    return _page(request, found, "portal/link.html", {"valid": True, "token": token})


@router.post("/signin/{token}", response_class=HTMLResponse)
def use_link(
    request: Request, found: Posted, token: Annotated[str, Path(max_length=100)]
) -> Response:
    services = services_from(request)
    try:
        with services.store.write() as uow:
            started = portal.sign_in_with_link(
                uow, found.account.id, token, agent_session.client_of(request),
                session.policy(services.settings),
            )  # fmt: skip
    except NotFound:
        return _page(request, found, "portal/link.html", {"valid": False}, status_code=404)
    response = RedirectResponse(_base(found) + "/tickets", status_code=303)
    session.set_session_cookie(response, request, started.token)
    return response


@router.post("/signout")
def sign_out(request: Request, posted: CustomerPosted) -> Response:
    found, customer = posted
    with services_from(request).store.write() as uow:
        portal.end_session(uow, customer)
    response = RedirectResponse(_base(found), status_code=303)
    session.clear_session_cookie(response, request)
    return response


# -- the customer's tickets ---------------------------------------------------------------------


def _signed_visit(request: Request, slug: str) -> tuple[Visit, CustomerSignedIn]:
    found = session.visit(request, slug)
    if found.customer is None:
        raise PortalSignInRequired(slug)
    return found, found.customer


@router.get("/tickets", response_class=HTMLResponse)
def my_tickets(
    request: Request, slug: Slug, number: Annotated[int, Query(alias="page", ge=1, le=4000)] = 1
) -> Response:
    found, customer = _signed_visit(request, slug)
    with services_from(request).store.read() as uow:
        listed = customers.list_tickets(
            uow, customer.actor, start=(number - 1) * PAGE, results=PAGE
        )
    context = {
        "tickets": listed.items,
        "page": number,
        "pages": max(1, math.ceil(listed.total / PAGE)),
        "total": listed.total,
    }
    return _page(request, found, "portal/tickets.html", context)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def one_ticket(request: Request, slug: Slug, ticket_id: Id) -> Response:
    found, customer = _signed_visit(request, slug)
    return _ticket(request, found, customer, ticket_id)


def _ticket(
    request: Request,
    found: Visit,
    customer: CustomerSignedIn,
    ticket_id: int,
    *,
    error: DomainError | None = None,
    content: str = "",
) -> Response:
    try:
        with services_from(request).store.write() as uow:  # reading stamps client_last_read
            thread = customers.read_ticket(uow, customer.actor, ticket_id)
    except NotFound:
        return _page(request, found, "portal/missing.html", status_code=404)
    context = {
        "thread": thread,
        "ticket": thread.summary.ticket,
        "error": _error_words(error) if error else None,
        "content": content,
        "max_bytes": services_from(request).settings.max_attachment_bytes,
    }
    status = _status(error) if error else 200
    return _page(request, found, "portal/ticket.html", context, status_code=status)


@router.post("/tickets/{ticket_id}/reply", response_class=HTMLResponse)
@takes_upload
def reply(
    request: Request,
    posted: CustomerPosted,
    ticket_id: Id,
    content: Body = "",
    files: Files = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    found, customer = posted
    services = services_from(request)
    limit = services.settings.max_attachment_bytes
    try:
        stored = _files(services, files)
        with services.store.write() as uow:
            ids = [customers.upload(uow, customer.actor, item, limit).id for item in stored]
            customers.reply(uow, customer.actor, ticket_id, content, ids)
    except NotFound:
        return _page(request, found, "portal/missing.html", status_code=404)
    except FORM_PROBLEMS as exc:
        return _ticket(request, found, customer, ticket_id, error=exc, content=content)
    return RedirectResponse(f"{_base(found)}/tickets/{ticket_id}#latest", status_code=303)


@router.post("/tickets/{ticket_id}/close", response_class=HTMLResponse)
def close(request: Request, posted: CustomerPosted, ticket_id: Id) -> Response:
    return _set_status(request, posted, ticket_id, Status.CLOSED)


@router.post("/tickets/{ticket_id}/reopen", response_class=HTMLResponse)
def reopen(request: Request, posted: CustomerPosted, ticket_id: Id) -> Response:
    return _set_status(request, posted, ticket_id, Status.REPLY)


def _set_status(
    request: Request, posted: tuple[Visit, CustomerSignedIn], ticket_id: int, status: Status
) -> Response:
    found, customer = posted
    try:
        with services_from(request).store.write() as uow:
            customers.set_status(uow, customer.actor, ticket_id, status)
    except NotFound:
        return _page(request, found, "portal/missing.html", status_code=404)
    except FORM_PROBLEMS as exc:
        return _ticket(request, found, customer, ticket_id, error=exc)
    return RedirectResponse(f"{_base(found)}/tickets/{ticket_id}", status_code=303)


@router.get("/tickets/{ticket_id}/files/{attachment_id}")
def download(request: Request, slug: Slug, ticket_id: Id, attachment_id: Id) -> Response:
    found, customer = _signed_visit(request, slug)
    services = services_from(request)
    try:
        with services.store.read() as uow:
            record = customers.find_attachment(uow, customer.actor, ticket_id, attachment_id)
        # Streamed a chunk at a time (opened here: missing bytes are the portal's 404).
        data = services.blobs.stream(record.stored_name)
    except NotFound:
        return _page(request, found, "portal/missing.html", status_code=404)
    return served(record, data)


def file_size(size: int) -> str:
    """A file's size for people: 12 B, 48.2 kB, 25 MB (decimal units, in the page's locale)."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{i18n.format_number(round(size / scale, 1))} {unit}"
    return f"{i18n.format_number(size)} B"


# -- words ------------------------------------------------------------------------------------


def _error_words(error: DomainError) -> str:
    """What a customer is told: the page's words, not the API's English message."""
    if isinstance(error, RateLimited):
        minutes = max(1, math.ceil(error.retry_after / 60))
        return i18n.ngettext(
            "Too many attempts. Try again in %(num)d minute.",
            "Too many attempts. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
    if error.code in _CODE_ERRORS:
        return _(_CODE_ERRORS[error.code])
    return _(_FIELD_ERRORS.get(error.field or "", _FIELD_ERRORS[""]))


_CODE_ERRORS = {
    "force_closed": i18n.N_(
        "Our team closed this request for good. To ask something more, send a new request."
    ),
    "file_too_large": i18n.N_("A file is too large."),
    "empty_file": i18n.N_("A file is empty."),
    "too_many_files": i18n.N_("Too many files at once."),
    "unknown_category": i18n.N_("Choose a topic."),
    "unknown_department": i18n.N_("Choose a department."),
}


_FIELD_ERRORS = {
    "first_name": i18n.N_("Enter your first name (2 to 64 characters)."),
    "last_name": i18n.N_("Enter your last name (2 to 128 characters)."),
    "company": i18n.N_("The company name may be at most 120 characters."),
    "email": i18n.N_("Enter a valid e-mail address."),
    "phone": i18n.N_("Enter a phone number: 5 to 15 digits, spaces or + ( ) . / -"),
    "title": i18n.N_("Enter a subject of 2 to 250 characters, on one line."),
    "content": i18n.N_("Write a message."),
    "message": i18n.N_("Write a message."),
    "category": i18n.N_("Choose a topic."),
    "department": i18n.N_("Choose a department."),
    "": i18n.N_("That did not work. Check the form and try again."),
}
