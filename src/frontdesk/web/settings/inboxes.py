"""Settings, Inboxes: name, address, auto reply and signature; the IMAP mailbox an inbox fetches
from, and "test connection", which reports what the server said (services.imap.check).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import mail
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.mail import outbox
from frontdesk.core.mail.records import ImapSettings
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.http.deps import PathId, services_from
from frontdesk.services import imap, sealing
from frontdesk.services.oauth import TokenSource
from frontdesk.web import session
from frontdesk.web.forms import form_id
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Text = Annotated[str, Form(max_length=400)]
AutoReply = Annotated[str, Form(max_length=20_000)]

# What a form says for the core's codes; anything else is the generic message.
FORM_ERRORS = {
    "inbox_exists": N_("Another inbox has that address."),
    "invalid_email": N_("That is not a valid e-mail address."),
    "required": N_("Fill in every field marked *."),
    "invalid_host": N_("That is not a host name or address."),
    "invalid_port": N_("A port is a number from 1 to 65535."),
    "unknown_placeholder": N_(
        "The signature names a placeholder Frontdesk does not fill. Use {agent_name} or"
        " {inbox_name}."
    ),
    "signature_too_long": N_("A signature is at most 2000 characters."),
}
FORM_ERROR = N_("Check the values and try again.")


def _message(error: Invalid | Conflict) -> str:
    return _(FORM_ERRORS.get(error.code, FORM_ERROR))


@router.get("/settings/inboxes", response_class=HTMLResponse)
def inboxes_page(request: Request, signed: Signed) -> Response:
    return _list(request, signed)


def _list(
    request: Request, signed: SignedIn, form: dict[str, str] | None = None, status: int = 200
) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["inboxes"] = accounts.list_inboxes(uow, signed.actor)
    context["form"] = form or {"name": "", "email": "", "error": ""}
    return render(request, "settings/inboxes.html", context, status_code=status)


@router.post("/settings/inboxes", response_class=HTMLResponse)
def create(request: Request, signed: Signed, name: Text, email: Text) -> Response:
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            inbox = accounts.create_inbox(uow, signed.actor, name, email)
    except (Invalid, Conflict) as error:
        form = {"name": name, "email": email, "error": _message(error)}
        return _list(request, signed, form, status=409 if isinstance(error, Conflict) else 422)
    return RedirectResponse(f"/settings/inboxes/{inbox.id}?saved=1", status_code=303)


@router.get("/settings/inboxes/{inbox_id}", response_class=HTMLResponse)
def inbox_page(request: Request, inbox_id: PathId, signed: Signed) -> Response:
    return _inbox(request, signed, inbox_id)


def _inbox(
    request: Request, signed: SignedIn, inbox_id: int, status: int = 200, **extra: Any
) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["inbox"] = accounts.get_inbox(uow, signed.actor, inbox_id)
        context["mailbox"] = _mailbox(uow, signed, inbox_id)
        context["relay"] = outbox.relay_status(uow, signed.actor, inbox_id)
    context.update({"error": "", "imap_error": "", "check": None, "typed": None, **extra})
    return render(request, "settings/inbox.html", context, status_code=status)


def _mailbox(uow: Any, signed: SignedIn, inbox_id: int) -> ImapSettings | None:
    try:
        return mail.get_imap(uow, signed.actor, inbox_id)
    except NotFound:
        return None


@router.post("/settings/inboxes/{inbox_id}", response_class=HTMLResponse)
def update(
    request: Request,
    inbox_id: PathId,
    signed: Signed,
    name: Text,
    email: Text,
    auto_reply: AutoReply = "",
    signature: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            accounts.update_inbox(
                uow, signed.actor, inbox_id, name=name, email=email, auto_reply=auto_reply,
                signature=signature,
            )  # fmt: skip
    except (Invalid, Conflict) as error:
        code = 409 if isinstance(error, Conflict) else 422
        typed = {"name": name, "email": email, "auto_reply": auto_reply, "signature": signature}
        return _inbox(request, signed, inbox_id, code, error=_message(error), typed=typed)
    return RedirectResponse(f"/settings/inboxes/{inbox_id}?saved=1", status_code=303)


@router.post("/settings/inboxes/{inbox_id}/imap", response_class=HTMLResponse)
def set_mailbox(
    request: Request,
    inbox_id: PathId,
    signed: Signed,
    host: Text,
    port: Annotated[str, Form(max_length=8)],
    username: Text,
    folder: Text = "INBOX",
    password: Annotated[str, Form(max_length=1000)] = "",
    tls: Annotated[str, Form(max_length=8)] = "",
    enabled: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    admin_area(signed)
    services = services_from(request)
    try:
        fields = mail.ImapFields(
            host=host, port=form_id(port, "port"), tls=bool(tls), username=username,
            folder=folder, enabled=bool(enabled), password=password or None,
        )  # fmt: skip
        with services.store.write() as uow:
            seal = sealing.sealer(services.settings.secret_key, sealing.IMAP_LOGIN)
            mail.set_imap(uow, signed.actor, inbox_id, fields, seal=seal)
    except Invalid as error:
        return _inbox(request, signed, inbox_id, 422, imap_error=_message(error))
    return RedirectResponse(f"/settings/inboxes/{inbox_id}?imap_saved=1", status_code=303)


@router.post("/settings/inboxes/{inbox_id}/imap/test", response_class=HTMLResponse)
def test_mailbox(request: Request, inbox_id: PathId, signed: Signed) -> Response:
    """Sign in to the stored mailbox now, and show what the server said."""
    admin_area(signed)
    services = services_from(request)
    with services.store.read() as uow:
        stored = mail.get_imap(uow, signed.actor, inbox_id)
    tokens = TokenSource(services.store, services.settings)  # an OAuth mailbox's token
    found = imap.check(
        stored,
        services.settings.secret_key,
        tokens,
        allow_private=services.settings.allow_private_fetch,
    )
    return _inbox(request, signed, inbox_id, check=found)


@router.post("/settings/inboxes/{inbox_id}/imap/remove")
def remove_mailbox(request: Request, inbox_id: PathId, signed: Signed) -> Response:
    admin_area(signed)
    with services_from(request).store.write() as uow:
        mail.remove_imap(uow, signed.actor, inbox_id)
    return RedirectResponse(f"/settings/inboxes/{inbox_id}", status_code=303)


@router.post("/settings/inboxes/{inbox_id}/mail/{outbox_id}/retry")
def retry_mail(request: Request, inbox_id: PathId, outbox_id: PathId, signed: Signed) -> Response:
    """Send a failed mail again (the outbox worker takes it on its next round)."""
    with services_from(request).store.write() as uow:
        outbox.retry_failed(uow, signed.actor, outbox_id)
    return RedirectResponse(f"/settings/inboxes/{inbox_id}?retried=1", status_code=303)
