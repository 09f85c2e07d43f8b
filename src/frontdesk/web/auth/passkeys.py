"""Passkeys in the web app: the JSON the browser's WebAuthn calls need (static/js/passkeys.js),
and the forms that rename and remove a key.

The ceremonies are `fetch` calls carrying the CSRF token in `X-CSRF-Token`: options first
(the challenge is kept on the session), then the browser's answer. The relying party is
the installation's public address (FRONTDESK_PUBLIC_BASE_URL), or the request's own.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity import passkeys
from frontdesk.core.identity.passkeys import RelyingParty
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Conflict, Invalid
from frontdesk.http.deps import PathId, services_from
from frontdesk.http.ratelimit import retry_after
from frontdesk.web import session
from frontdesk.web.auth.routes import SECURITY_PAGE, TWO_FACTOR_PAGE, safe_next
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router

router = web_router()
Enrolling = Annotated[SignedIn, Depends(session.enrolling)]
Verifying = Annotated[SignedIn, Depends(session.verifying)]
MAX_ANSWER = 64 * 1024  # an attestation with a certificate chain is a few kilobytes


def relying_party(request: Request) -> RelyingParty:
    base = services_from(request).settings.public_base_url or str(request.base_url)
    parts = urlsplit(base)
    return RelyingParty(id=parts.hostname or "", origin=f"{parts.scheme}://{parts.netloc}")


async def _answer(request: Request) -> tuple[str, str]:
    """The browser's answer (the credential as JSON) and the key's name, from the body."""
    body = await request.body()
    if len(body) > MAX_ANSWER:
        raise Invalid("too_large", "The answer is too large")
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise Invalid("passkey_refused", "The answer is not JSON") from exc
    if not isinstance(data, dict):
        raise Invalid("passkey_refused", "The answer is not an object")
    credential = data.get("credential")
    name = data.get("name", "")
    return json.dumps(credential), name if isinstance(name, str) else ""


def _refused(message: str, status_code: int = 422, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=headers)


@router.post(SECURITY_PAGE + "/passkeys/options")
def registration_options(request: Request, signed: Enrolling) -> Response:
    with services_from(request).store.write() as uow:
        options = passkeys.registration_options(
            uow, signed.actor, signed.session, relying_party(request)
        )
    return Response(options, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.post(SECURITY_PAGE + "/passkeys")
async def register(request: Request, signed: Enrolling) -> Response:
    answer, name = await _answer(request)
    return await run_in_threadpool(_register, request, signed, answer, name)


def _register(request: Request, signed: SignedIn, answer: str, name: str) -> Response:
    try:
        with services_from(request).store.write() as uow:
            passkeys.register(
                uow, signed.actor, signed.session, relying_party(request), answer, name
            )
    except Invalid as exc:
        if exc.field == "name":
            return _refused(_("Give the passkey a name of up to 100 characters."))
        return _refused(_("The passkey could not be added. Try again."))
    return JSONResponse({"next": SECURITY_PAGE + "?done=passkey-added"})


@router.post(SECURITY_PAGE + "/passkeys/{passkey_id}/rename")
def rename(
    request: Request,
    passkey_id: PathId,
    signed: Enrolling,
    name: Annotated[str, Form(max_length=400)],
) -> Response:
    with services_from(request).store.write() as uow:
        passkeys.rename(uow, signed.actor, passkey_id, name)
    return RedirectResponse(SECURITY_PAGE, status_code=303)


@router.post(SECURITY_PAGE + "/passkeys/{passkey_id}/remove")
def remove(request: Request, passkey_id: PathId, signed: Enrolling) -> Response:
    try:
        with services_from(request).store.write() as uow:
            passkeys.remove(uow, signed.actor, passkey_id)
    except Conflict:
        return RedirectResponse(SECURITY_PAGE + "?done=last-factor", status_code=303)
    return RedirectResponse(SECURITY_PAGE + "?done=passkey-removed", status_code=303)


# -- the sign-in's second step ----------------------------------------------------------------


@router.post(TWO_FACTOR_PAGE + "/passkey/options")
def sign_in_options(request: Request, signed: Verifying) -> Response:
    with services_from(request).store.write() as uow:
        options = passkeys.sign_in_options(uow, signed.session, relying_party(request))
    return Response(options, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.post(TWO_FACTOR_PAGE + "/passkey")
async def sign_in(request: Request, signed: Verifying, next: str = "") -> Response:
    answer, _name = await _answer(request)
    return await run_in_threadpool(_sign_in, request, signed, answer, next)


def _sign_in(request: Request, signed: SignedIn, answer: str, next: str) -> Response:
    services = services_from(request)
    try:
        with services.store.write() as uow:
            wait = passkeys.sign_in(
                uow, signed.session, relying_party(request), answer,
                session.client_of(request), session.policy(services.settings),
            )  # fmt: skip
    except Invalid:
        return _refused(_("The passkey was not accepted. Try again, or use a code."), 401)
    if wait is None:
        return JSONResponse({"next": safe_next(next)})
    if wait:
        message = _("Too many failed attempts. Wait a while, then try again.")
        return _refused(message, 429, **{"Retry-After": retry_after(wait)})
    return _refused(_("The passkey was not accepted. Try again, or use a code."), 401)
