"""Who is signed in: the session cookie, the CSRF check, and the agent's Actor.

The cookie `fd_session` holds `<public id>.<secret>` (core/identity/sessions.py), and is
HttpOnly, SameSite=Lax, and Secure when the request came over https or `public_base_url`
starts with https. `frontdesk serve` does not take `X-Forwarded-Proto` (uvicorn's
proxy_headers is off; the app reads X-Forwarded-For itself from trusted proxies only), so
behind a proxy that ends TLS the https public address is what makes the cookie Secure.

CSRF: every state-changing request carries a token bound to the session (web/csrf.py), in
the `X-CSRF-Token` header (htmx, via app.js) or the `csrf_token` form field. The sign-in
forms, before any session exists, bind theirs to a random `fd_anon` cookie instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from frontdesk.core.identity import sessions
from frontdesk.core.identity.records import SignInStage
from frontdesk.core.identity.sessions import Client, Policy, SignedIn
from frontdesk.core.shared.errors import Forbidden, Unauthenticated
from frontdesk.http.deps import services_from
from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.web import csrf, i18n

COOKIE = "fd_session"
ANON_COOKIE = "fd_anon"
ANON_PREFIX = "anon:"


# A session held at the second factor, or at enrolling one, reaches only the pages that
# finish that step; everywhere else it counts as not signed in (and is sent on to the step).
SIGNED_IN = frozenset({SignInStage.DONE})
ENROLLING = frozenset({SignInStage.DONE, SignInStage.ENROL})
VERIFYING = frozenset({SignInStage.VERIFY})
ANY_STAGE = frozenset(SignInStage)


class SignInRequired(Exception):
    """Raised by `signed_in` when there is no valid session: answered with a redirect."""


def policy(settings: Settings) -> Policy:
    return Policy(
        idle_ms=settings.session_idle_seconds * 1000,
        absolute_ms=settings.session_absolute_seconds * 1000,
        failures_per_address=settings.signin_failures_per_address,
        failures_per_ip=settings.signin_failures_per_ip,
        window_ms=settings.signin_window_seconds * 1000,
        reset_ms=settings.password_reset_seconds * 1000,
    )


def client_of(request: Request) -> Client:
    host = request.client.host if request.client else ""
    return Client(ip=host, user_agent=request.headers.get("user-agent", ""))


def secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_base_url.startswith("https://")


def _secret(services: Services) -> str:
    return services.settings.secret_key


def load(request: Request, allow: frozenset[SignInStage] = SIGNED_IN) -> SignedIn | None:
    """The request's valid session at one of the `allow`ed stages, if any. Blocking."""
    signed = _load_any(request)
    return signed if signed is not None and signed.stage in allow else None


def held_at(request: Request) -> SignInStage | None:
    """The stage a valid session of this request waits at, when it is not signed in yet
    (known once the request looked for its session)."""
    signed: SignedIn | None = getattr(request.state, "signed_in", None)
    return signed.stage if signed is not None and signed.stage != SignInStage.DONE else None


def _load_any(request: Request) -> SignedIn | None:
    """The request's valid session at any stage; kept on request.state."""
    if hasattr(request.state, "signed_in"):
        found: SignedIn | None = request.state.signed_in
        return found
    request.state.signed_in = None
    if not request.cookies.get(COOKIE):
        return None
    services = services_from(request)
    with services.store.read() as uow:
        signed = _authenticated(request, services, uow)
    _keep_alive(services, signed)
    return signed


@contextmanager
def reading(request: Request) -> Iterator[tuple[Any, SignedIn]]:
    """A page's one read transaction, the session checked inside it: `(uow, signed)`.

    For the pages agents load all day (the queue, a ticket): a session checked in a
    transaction of its own cost another pooled connection, BEGIN and COMMIT, each a round
    trip on PostgreSQL. SignInRequired when there is no valid session. Blocking.
    """
    services = services_from(request)
    known: SignedIn | None = getattr(request.state, "signed_in", None)
    if known is None and not request.cookies.get(COOKIE):
        raise SignInRequired()
    with services.store.read() as uow:
        signed = known or _authenticated(request, services, uow)
        if signed is None or signed.stage != SignInStage.DONE:
            raise SignInRequired()
        yield uow, signed
    if known is None:
        _keep_alive(services, signed)


def _authenticated(request: Request, services: Services, uow: Any) -> SignedIn | None:
    """The cookie's session checked in `uow`, adopted by the request; None if not valid."""
    request.state.signed_in = None
    try:
        signed = sessions.authenticate(
            uow, request.cookies.get(COOKIE, ""), policy(services.settings)
        )
    except Unauthenticated:
        return None
    _adopt(request, services, signed)
    return signed


def _keep_alive(services: Services, signed: SignedIn | None) -> None:
    """Stamp the session's last request when its stamp is old (the idle clock)."""
    if signed is not None and signed.stale:
        with services.store.write() as uow:
            sessions.touch(uow, signed.session.id)


def _adopt(request: Request, services: Services, signed: SignedIn) -> None:
    request.state.signed_in = signed
    request.state.csrf_token = csrf.issue(_secret(services), signed.session.public_id)
    agent = signed.agent
    if agent.locale in i18n.LOCALES:
        request.state.locale = agent.locale
    if signed.time_zone:  # theirs, else the account's; none: the installation's
        request.state.time_zone = signed.time_zone


async def _checked_token(request: Request, session_key: str) -> None:
    if not csrf.needs_check(request.method):
        return
    form = None
    if request.headers.get(csrf.HEADER.lower()) is None:
        form = await request.form()
    token = csrf.submitted(request.headers, form)
    if not csrf.verify(_secret(services_from(request)), session_key, token):
        raise Forbidden("csrf", "The form has expired. Reload the page and try again.")


async def signed_in(request: Request) -> SignedIn:
    """Dependency: the signed-in agent, with the CSRF token checked on state changes."""
    return await _at_stage(request, SIGNED_IN)


async def enrolling(request: Request) -> SignedIn:
    """Dependency of the security page: signed in, or held until a second factor is set up."""
    return await _at_stage(request, ENROLLING)


async def verifying(request: Request) -> SignedIn:
    """Dependency of the sign-in's second step: a session waiting for its second factor."""
    return await _at_stage(request, VERIFYING)


async def any_stage(request: Request) -> SignedIn:
    """Dependency of sign-out: a session at any stage may end itself."""
    return await _at_stage(request, ANY_STAGE)


async def _at_stage(request: Request, allow: frozenset[SignInStage]) -> SignedIn:
    signed = await run_in_threadpool(load, request, allow)
    if signed is None:
        raise SignInRequired()
    await _checked_token(request, signed.session.public_id)
    return signed


async def anonymous_form(request: Request) -> str:
    """Dependency of the sign-in forms: their CSRF token, bound to the fd_anon cookie."""
    key = request.cookies.get(ANON_COOKIE, "")
    if csrf.needs_check(request.method) and not key:
        raise Forbidden("csrf", "The form has expired. Reload the page and try again.")
    await _checked_token(request, ANON_PREFIX + key)
    return key


def anon_token(request: Request, response_key: str) -> str:
    """A CSRF token for a sign-in form, bound to the anon cookie (new when it is missing)."""
    return csrf.issue(_secret(services_from(request)), ANON_PREFIX + response_key)


def new_anon_key() -> str:
    return secrets.token_urlsafe(16)


def set_anon_cookie(response: Response, request: Request, key: str, path: str = "/login") -> None:
    """The cookie a form for visitors binds its CSRF token to, sent only to `path`."""
    settings = services_from(request).settings
    response.set_cookie(
        ANON_COOKIE, key, httponly=True, samesite="lax", secure=secure(request, settings),
        path=path,
    )  # fmt: skip


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = services_from(request).settings
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_absolute_seconds,
        httponly=True,
        samesite="lax",
        secure=secure(request, settings),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    settings = services_from(request).settings
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request, settings)
    )
