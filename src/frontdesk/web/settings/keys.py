"""Settings, API keys: account keys with scopes from a list (the secret shown once, then
only its last use), customer tokens for the v3 API; revoke either."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity import credentials
from frontdesk.core.identity.credentials import Issued
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Scope
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Text = Annotated[str, Form(max_length=400)]

# The scopes a key may carry, with what each lets a client do.
SCOPES = (
    (Scope.TICKETS_READ, N_("Read tickets")),
    (Scope.TICKETS_WRITE, N_("Create and change tickets")),
    (Scope.CHAT_READ, N_("Read chats")),
    (Scope.CHAT_WRITE, N_("Write in chats")),
    (Scope.ADMIN, N_("Administer the account")),
)
KINDS = {"keys": CredentialKind.API_KEY, "tokens": CredentialKind.CUSTOMER}


def _page(
    request: Request, signed: SignedIn, issued: Issued | None = None, error: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["keys"] = credentials.list_credentials(uow, signed.actor, CredentialKind.API_KEY)
        context["tokens"] = credentials.list_credentials(uow, signed.actor, CredentialKind.CUSTOMER)
    context.update(scopes=SCOPES, issued=issued, error=error)
    response = render(request, "settings/keys.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # a new secret may be on it
    return response


@router.get("/settings/keys", response_class=HTMLResponse)
def keys_page(request: Request, signed: Signed) -> Response:
    return _page(request, signed)


@router.post("/settings/keys", response_class=HTMLResponse)
def issue_key(
    request: Request,
    signed: Signed,
    name: Text,
    scopes: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 (FastAPI's form list)
) -> Response:
    admin_area(signed)
    try:
        chosen = [Scope(value) for value in scopes]
    except ValueError:
        return _page(request, signed, error=_("Choose scopes from the list."), status=422)
    try:
        with services_from(request).store.write() as uow:
            issued = credentials.issue_api_key(uow, signed.actor, name, chosen)
    except (Invalid, Forbidden) as refused:
        message = _("Choose at least one scope.") if refused.code == "no_scopes" else (
            _("A key can only have scopes you hold yourself.")
        )  # fmt: skip
        return _page(request, signed, error=message, status=422)
    return _page(request, signed, issued=issued, status=201)


@router.post("/settings/keys/tokens", response_class=HTMLResponse)
def issue_token(request: Request, signed: Signed, email: Text, name: Text = "") -> Response:
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            issued = credentials.issue_customer_token_for(uow, signed.actor, email, name)
    except Invalid:
        return _page(request, signed, error=_("That is not a valid e-mail address."), status=422)
    return _page(request, signed, issued=issued, status=201)


@router.post("/settings/keys/{kind}/{credential_id}/revoke")
def revoke(request: Request, kind: str, credential_id: PathId, signed: Signed) -> Response:
    admin_area(signed)
    if kind not in KINDS:
        raise Invalid("invalid_kind", "keys or tokens", field="kind")
    with services_from(request).store.write() as uow:
        credentials.revoke(uow, signed.actor, KINDS[kind], credential_id)
    return RedirectResponse("/settings/keys?revoked=1", status_code=303)
