"""Sign-in, sign-out, forgotten passwords, and the agent's own preferences (their sessions
and second factors are on the security page, web/auth/security.py).

/login, /login/forgot and /login/reset/<token> work before any session exists; their
CSRF tokens are bound to the `fd_anon` cookie (web/session.py). Every answer to a wrong
address or password reads the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import SignInStage
from frontdesk.core.identity.sessions import Refused, SignedIn, Started
from frontdesk.core.mail import notices
from frontdesk.core.shared.errors import Invalid, RateLimited
from frontdesk.http.deps import services_from
from frontdesk.http.ratelimit import retry_after
from frontdesk.web import i18n, session
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render

router = web_router()
HOME = "/tickets"
TWO_FACTOR_PAGE = "/login/two-factor"
SECURITY_PAGE = "/settings/security"
Text = Annotated[str, Form(max_length=1000)]
Secret = Annotated[str, Form(max_length=1000)]


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this site only (never `//host` or a URL)."""
    # Browsers drop tabs and line breaks from URLs, so "/\t/evil.example" would become
    # "//evil.example": anything below a space, and backslashes, are refused outright.
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target)
    ):
        return HOME
    return target[:2000]


def _form_page(
    request: Request,
    template: str,
    context: Mapping[str, object],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A sign-in form with its CSRF token, setting the anon cookie it is bound to."""
    key = request.cookies.get(session.ANON_COOKIE) or session.new_anon_key()
    request.state.csrf_token = session.anon_token(request, key)
    response = render(request, template, context, status_code=status_code, headers=headers)
    session.set_anon_cookie(response, request, key)
    response.headers["Cache-Control"] = "no-store"
    return response


def _step_of(stage: SignInStage | None) -> str | None:
    """The page that finishes a sign-in held at `stage`."""
    if stage == SignInStage.VERIFY:
        return TWO_FACTOR_PAGE
    if stage == SignInStage.ENROL:
        return SECURITY_PAGE
    return None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> Response:
    signed = session.load(request, session.ANY_STAGE)
    if signed is not None:
        step = _step_of(signed.stage)
        target = f"{step}?next={quote(safe_next(next), safe='')}" if step else safe_next(next)
        return RedirectResponse(target, status_code=303)
    return _form_page(request, "auth/login.html", {"next": safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: Text,
    password: Secret,
    _anon: Annotated[str, Depends(session.anonymous_form)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        outcome = sessions.sign_in(
            uow, email, password, session.client_of(request), session.policy(services.settings)
        )
    if isinstance(outcome, Started):
        step = _step_of(SignInStage(outcome.session.stage))
        target = f"{step}?next={quote(safe_next(next), safe='')}" if step else safe_next(next)
        response = RedirectResponse(target, status_code=303)
        session.set_session_cookie(response, request, outcome.token)
        return response
    return _refused(request, outcome, email, next)


def _refused(request: Request, refused: Refused, email: str, target: str) -> Response:
    context: dict[str, object] = {"next": safe_next(target), "email": email[:320]}
    if refused.retry_after:
        minutes = max(1, -(-refused.retry_after // 60))
        context["error"] = i18n.ngettext(
            "Too many failed sign-ins. Try again in %(num)d minute.",
            "Too many failed sign-ins. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        headers = {"Retry-After": retry_after(refused.retry_after)}
        return _form_page(request, "auth/login.html", context, status_code=429, headers=headers)
    context["error"] = _("That e-mail address and password do not match an agent.")
    return _form_page(request, "auth/login.html", context, status_code=401)


@router.post("/logout")
def logout(request: Request, signed: Annotated[SignedIn, Depends(session.any_stage)]) -> Response:
    services = services_from(request)
    with services.store.write() as uow:
        sessions.end_session(uow, signed.actor, signed.session.id)
    response = RedirectResponse("/login", status_code=303)
    session.clear_session_cookie(response, request)
    return response


@router.get("/login/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return _form_page(request, "auth/forgot.html", {"email": "", "sent": False})


@router.post("/login/forgot", response_class=HTMLResponse)
def forgot(
    request: Request, email: Text, _anon: Annotated[str, Depends(session.anonymous_form)]
) -> Response:
    services = services_from(request)
    settings = services.settings
    try:
        with services.store.write() as uow:
            notices.request_password_reset(
                uow, email, session.client_of(request), session.policy(settings),
                settings.public_base_url,
            )  # fmt: skip
    except RateLimited as exc:
        context = {
            "email": email[:320],
            "sent": False,
            "error": _("Too many requests. Wait a while, then try again."),
        }
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return _form_page(request, "auth/forgot.html", context, status_code=429, headers=headers)
    # The same answer whether or not an agent has the address.
    return _form_page(request, "auth/forgot.html", {"email": email[:320], "sent": True})


# An invitation's link (/login/welcome/, core.identity.team) is a reset link for an agent
# who has no password yet: the same check and the same form, with a welcome.


def _link_kind(request: Request) -> str:
    """reset or welcome: the two literal paths below (a `/login/{kind}/...` pattern would
    also catch the sign-in's second step, `/login/two-factor/passkey`)."""
    return request.url.path.split("/")[2]


@router.get("/login/reset/{token}", response_class=HTMLResponse)
@router.get("/login/welcome/{token}", response_class=HTMLResponse)
def reset_page(request: Request, token: str) -> Response:
    kind = _link_kind(request)
    services = services_from(request)
    with services.store.read() as uow:
        sessions.check_reset(uow, token[:100])
    return _form_page(request, "auth/reset.html", {"token": token, "kind": kind})


@router.post("/login/reset/{token}", response_class=HTMLResponse)
@router.post("/login/welcome/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    token: str,
    password: Secret,
    _anon: Annotated[str, Depends(session.anonymous_form)],
) -> Response:
    kind = _link_kind(request)
    services = services_from(request)
    try:
        with services.store.write() as uow:
            sessions.reset_password(uow, token[:100], password)
    except Invalid:
        error = _("Choose a password of at least 10 characters.")
        context = {"token": token, "kind": kind, "error": error}
        return _form_page(request, "auth/reset.html", context, status_code=422)
    return RedirectResponse(f"/login?{kind}=1", status_code=303)


# -- the agent's own sessions and preferences ---------------------------------------------------


@router.get("/settings/profile", response_class=HTMLResponse)
def profile(request: Request, signed: Annotated[SignedIn, Depends(session.signed_in)]) -> Response:
    context = settings_area(signed)
    context.update(locales=i18n.LOCALES)
    return render(request, "auth/profile.html", context)


@router.post("/settings/profile", response_class=HTMLResponse)
def save_profile(
    request: Request,
    signed: Annotated[SignedIn, Depends(session.signed_in)],
    locale: Annotated[str, Form(max_length=16)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if locale and locale not in i18n.LOCALES:
        raise Invalid("invalid_locale", "Not a language this app speaks", field="locale")
    services = services_from(request)
    with services.store.write() as uow:
        accounts.update_agent(
            uow, signed.actor, signed.agent.id, AgentFields(locale=locale, time_zone=time_zone)
        )
    return RedirectResponse("/settings/profile", status_code=303)


def sign_in_redirect(request: Request) -> Response:
    """Where a request without a session goes: the sign-in page, then back here; a session
    held at a step of its sign-in goes to that step instead."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = _step_of(session.held_at(request)) or "/login?next=" + quote(target, safe="")
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)
