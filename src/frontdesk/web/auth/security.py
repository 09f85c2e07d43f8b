"""The agent's security page (/settings/security) and the sign-in's second step.

/settings/security: the authenticator app (enrol with a QR code, confirm, turn off),
recovery codes (shown once), passkeys (web/auth/passkeys.py), the owner's rule that
everyone needs a second factor, and the agent's own sessions. A session held at
enrolment (the owner requires two-factor and the agent has none) reaches this page and
nothing else; it is shown without the workspace around it.

/login/two-factor: a session whose password was right waits here for a code from the app,
a recovery code, or a passkey.
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from frontdesk.core.identity import credentials, sessions, twofactor
from frontdesk.core.identity.records import SignInStage
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.identity.twofactor import Box, TotpSetup
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid
from frontdesk.core.shared.records import Scope
from frontdesk.http.deps import PathId, services_from
from frontdesk.http.ratelimit import retry_after
from frontdesk.services import Services, sealing
from frontdesk.web import i18n, session
from frontdesk.web.auth.routes import SECURITY_PAGE, TWO_FACTOR_PAGE, safe_next
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render

router = web_router()
TOTP_SECRET = "totp-secret"  # noqa: S105 (the sealing purpose, not a secret)
ISSUER = "Frontdesk"
Enrolling = Annotated[SignedIn, Depends(session.enrolling)]
Verifying = Annotated[SignedIn, Depends(session.verifying)]
Code = Annotated[str, Form(max_length=100)]
Secret = Annotated[str, Form(max_length=1000)]
Next = Annotated[str, Form(max_length=2000)]


def box(services: Services) -> Box:
    """Seals the authenticator's secret with a key derived from the installation's."""
    key = services.settings.secret_key
    return Box(
        seal=sealing.sealer(key, TOTP_SECRET),
        unseal=lambda stored: sealing.unseal(stored, key, TOTP_SECRET),
    )


# -- the security page ------------------------------------------------------------------------


@router.get(SECURITY_PAGE, response_class=HTMLResponse)
def security_page(request: Request, signed: Enrolling) -> Response:
    return _page(request, signed)


def _page(
    request: Request,
    signed: SignedIn,
    *,
    status_code: int = 200,
    stage: SignInStage | None = None,
    **extra: Any,
) -> Response:
    """The page, with whatever one action wants shown once (a QR code, new codes, an error).
    `stage` is the session's stage when the action just changed it."""
    services = services_from(request)
    held = (signed.stage if stage is None else stage) == SignInStage.ENROL
    with services.store.read() as uow:
        # Held at enrolment, the page stands alone; else it is one of the settings pages.
        context: dict[str, Any] = {} if held else settings_area(signed)
        context.update(
            agent=signed.agent,
            factors=twofactor.factors(uow, signed.actor),
            sessions=sessions.list_sessions(uow, signed.actor),
            tokens=credentials.personal_tokens(uow, signed.actor),
        )
        if "setup" not in extra:
            extra["setup"] = twofactor.pending_totp(uow, signed.actor, box(services), ISSUER)
    setup: TotpSetup | None = extra["setup"]
    context.update(
        extra,
        current=signed.session.id,
        held=held,
        layout="settings/_held.html" if held else "settings/_layout.html",
        qr=_qr(setup.uri) if setup else None,
        is_owner=signed.agent.role == "owner",
        scopes=sorted(signed.actor.scopes),
        done=request.query_params.get("done", ""),
    )
    response = render(request, "settings/security.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # a secret or codes may be on it
    return response


def _qr(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, drawn here: nothing leaves the server."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", omitsize=False, title=None
    )
    return Markup(svg)  # noqa: S704 (segno's own markup, the URI encoded as paths)


@router.post(SECURITY_PAGE + "/totp", response_class=HTMLResponse)
def start_totp(request: Request, signed: Enrolling) -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        setup = twofactor.begin_totp(uow, signed.actor, box(services), ISSUER)
    return _page(request, signed, setup=setup)


@router.post(SECURITY_PAGE + "/totp/confirm", response_class=HTMLResponse)
def confirm_totp(request: Request, signed: Enrolling, code: Code) -> Response:
    services = services_from(request)
    try:
        with services.store.write() as uow:
            codes = twofactor.confirm_totp(uow, signed.actor, box(services), code)
    except Invalid:
        error = _("That code is not right. Enter the newest code the app shows.")
        return _page(request, signed, status_code=422, totp_error=error)
    # A session held for enrolment is signed in now: the page shows the workspace again.
    return _page(request, signed, stage=SignInStage.DONE, codes=codes)


@router.post(SECURITY_PAGE + "/totp/disable", response_class=HTMLResponse)
def disable_totp(
    request: Request, signed: Enrolling, code: Code = "", password: Secret = ""
) -> Response:
    services = services_from(request)
    try:
        with services.store.write() as uow:
            twofactor.disable_totp(uow, signed.actor, box(services), code=code, password=password)
    except Invalid:
        error = _("Enter a current code from the app, or your password.")
        return _page(request, signed, status_code=422, disable_error=error)
    except Conflict:
        error = _("Your team requires two-factor sign-in. Add a passkey before turning this off.")
        return _page(request, signed, status_code=409, disable_error=error)
    return RedirectResponse(SECURITY_PAGE + "?done=totp-off", status_code=303)


@router.post(SECURITY_PAGE + "/recovery-codes", response_class=HTMLResponse)
def new_recovery_codes(request: Request, signed: Enrolling) -> Response:
    with services_from(request).store.write() as uow:
        codes = twofactor.new_recovery_codes(uow, signed.actor)
    return _page(request, signed, codes=codes)


@router.post(SECURITY_PAGE + "/require", response_class=HTMLResponse)
def require(
    request: Request, signed: Enrolling, required: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    try:
        with services_from(request).store.write() as uow:
            twofactor.require_two_factor(uow, signed.actor, required == "on")
    except Conflict:
        error = _("Set up two-factor sign-in for yourself before requiring it of everyone.")
        return _page(request, signed, status_code=409, require_error=error)
    done = "required" if required == "on" else "not-required"
    return RedirectResponse(f"{SECURITY_PAGE}?done={done}", status_code=303)


@router.post(SECURITY_PAGE + "/sessions/{session_id}/end")
def end_session(request: Request, session_id: PathId, signed: Enrolling) -> Response:
    with services_from(request).store.write() as uow:
        sessions.end_session(uow, signed.actor, session_id)
    if session_id == signed.session.id:
        response = RedirectResponse("/login", status_code=303)
        session.clear_session_cookie(response, request)
        return response
    return RedirectResponse(SECURITY_PAGE + "?done=session-ended", status_code=303)


@router.post(SECURITY_PAGE + "/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    signed: Enrolling,
    name: Annotated[str, Form(max_length=400)] = "",
    scopes: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 (FastAPI's default)
) -> Response:
    chosen = {Scope(word) for word in scopes if word in Scope.__members__.values()}
    try:
        if len(chosen) != len(set(scopes)):
            raise Invalid("unknown_scope", "Unknown scope", field="scopes")
        with services_from(request).store.write() as uow:
            issued = credentials.issue_personal_token(uow, signed.actor, name, chosen)
    except (Invalid, Forbidden) as exc:
        error = (
            _("Give the token a name of up to 200 characters.")
            if exc.field == "name" or exc.code == "required"
            else _("Choose at least one scope you hold.")
            if exc.field == "scopes"
            else _("You have as many tokens as allowed. Revoke one first.")
        )
        return _page(request, signed, status_code=422, token_error=error, token_name=name[:200])
    return _page(request, signed, new_token=issued.token)


@router.post(SECURITY_PAGE + "/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: PathId, signed: Enrolling) -> Response:
    with services_from(request).store.write() as uow:
        credentials.revoke_personal_token(uow, signed.actor, token_id)
    return RedirectResponse(SECURITY_PAGE + "?done=token-revoked", status_code=303)


# -- the sign-in's second step ----------------------------------------------------------------


@router.get(TWO_FACTOR_PAGE, response_class=HTMLResponse)
def second_step_page(request: Request, signed: Verifying, next: str = "") -> Response:
    return _second_step(request, signed, next)


def _second_step(
    request: Request,
    signed: SignedIn,
    target: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    with services_from(request).store.read() as uow:
        factors = twofactor.factors(uow, signed.actor)
    context = {"next": safe_next(target), "factors": factors, "error": error}
    response = render(
        request, "auth/two_factor.html", context, status_code=status_code, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(TWO_FACTOR_PAGE, response_class=HTMLResponse)
def second_step(request: Request, signed: Verifying, code: Code, next: Next = "") -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        wait = twofactor.verify(
            uow, signed.session, box(services), code, session.client_of(request),
            session.policy(services.settings),
        )  # fmt: skip
    if wait is None:
        return RedirectResponse(safe_next(next), status_code=303)
    if wait:
        minutes = max(1, -(-wait // 60))
        error = i18n.ngettext(
            "Too many wrong codes. Try again in %(num)d minute.",
            "Too many wrong codes. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        headers = {"Retry-After": retry_after(wait)}
        return _second_step(request, signed, next, status_code=429, headers=headers, error=error)
    error = _("That code is not right. Try the newest code, or a recovery code.")
    return _second_step(request, signed, next, status_code=401, error=error)
