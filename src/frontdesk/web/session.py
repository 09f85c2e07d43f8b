"""Who is signed in: the session cookie, the CSRF check, and the agent's Actor.

The cookie `fd_session` holds `<public id>.<secret>` (core/identity/sessions.py), and is
HttpOnly, SameSite=Lax, and Secure when the request came over https. A request counts as
https when its own scheme is https: behind a proxy that means uvicorn's
`--proxy-headers` (which `frontdesk serve` turns on) took `X-Forwarded-Proto` from a proxy
it trusts, and uvicorn trusts only 127.0.0.1 unless FORWARDED_ALLOW_IPS names more. A
`public_base_url` starting with https makes the cookie Secure whatever the request says.

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
from frontdesk.core.identity.sessions import Client, Policy, SignedIn
from frontdesk.core.shared.errors import Forbidden, Unauthenticated
from frontdesk.http.deps import services_from
from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.web import csrf, i18n

COOKIE = "fd_session"
ANON_COOKIE = "fd_anon"
ANON_PREFIX = "anon:"


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


def load(request: Request) -> SignedIn | None:
    """The request's valid session, if any; kept on request.state. Blocking (database)."""
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
        if signed is None:
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
    if agent.time_zone:
        request.state.time_zone = agent.time_zone


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
    signed = await run_in_threadpool(load, request)
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


def set_anon_cookie(response: Response, request: Request, key: str) -> None:
    settings = services_from(request).settings
    response.set_cookie(
        ANON_COOKIE, key, httponly=True, samesite="lax", secure=secure(request, settings),
        path="/login",
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
