"""Who is signed in to a portal: the customer's cookie, the CSRF check, the language.

The portal's cookies are its own, apart from agents' (`fd_session`, `fd_anon`), all with
Path=/portal, HttpOnly and SameSite=Lax (Secure over https):

- `fd_portal` holds a customer's session token (core/identity/portal.py);
- `fd_portal_anon` is a random key the forms of a visitor not signed in (the request
  form, the sign-in link) bind their CSRF tokens to;
- `fd_portal_lang` keeps the language a visitor chose (`?lang=sv`), which wins over the
  browser's Accept-Language.

CSRF: every POST carries a token in the `csrf_token` field (or the X-CSRF-Token header),
bound to the session when signed in, else to the anon key. A POST without a valid one is
refused (403) before anything is read or written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from frontdesk.core.identity import portal
from frontdesk.core.identity.portal import CustomerSignedIn
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Account
from frontdesk.core.identity.sessions import Policy
from frontdesk.core.shared.errors import Forbidden, Unauthenticated
from frontdesk.http.deps import services_from
from frontdesk.settings import Settings
from frontdesk.web import csrf, i18n
from frontdesk.web.session import secure

COOKIE = "fd_portal"
ANON_COOKIE = "fd_portal_anon"
LANG_COOKIE = "fd_portal_lang"
PATH = "/portal"
_ANON = "portal-anon:"
_SIGNED = "portal:"


class PortalSignInRequired(Exception):
    """No valid portal session: answered with the portal's sign-in page."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


@dataclass(frozen=True)
class Visit:
    """One request to a portal: its account, and the customer when signed in."""

    account: Account
    customer: CustomerSignedIn | None


def policy(settings: Settings) -> Policy:
    """Portal sessions live as agents' do; `reset_ms` is how long a sign-in link works."""
    return Policy(
        idle_ms=settings.session_idle_seconds * 1000,
        absolute_ms=settings.session_absolute_seconds * 1000,
        failures_per_address=settings.portal_links_per_address,
        failures_per_ip=settings.portal_links_per_ip,
        window_ms=settings.signin_window_seconds * 1000,
        reset_ms=settings.portal_link_seconds * 1000,
    )


def visit(request: Request, slug: str) -> Visit:
    """The portal's account (NotFound for an unknown slug) and the signed-in customer, if
    any; sets the request's language and CSRF token. Blocking (database)."""
    services = services_from(request)
    _choose_language(request)
    with services.store.read() as uow:
        account = portal.portal_account(uow, slug)
        customer = _customer(request, uow, account)
    _business_defaults(request, account)
    if customer is not None and customer.stale:
        with services.store.write() as uow:
            portal.touch(uow, customer.session.id)
    request.state.csrf_token = csrf.issue(
        services.settings.secret_key, _csrf_key(request, customer)
    )
    return Visit(account, customer)


def _customer(request: Request, uow: IdentityUnit, account: Account) -> CustomerSignedIn | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    settings = services_from(request).settings
    try:
        return portal.authenticate(uow, account.id, token, policy(settings))
    except Unauthenticated:
        return None


def _csrf_key(request: Request, customer: CustomerSignedIn | None) -> str:
    if customer is not None:
        return _SIGNED + customer.session.public_id
    key = request.cookies.get(ANON_COOKIE) or getattr(request.state, "portal_anon", "")
    if not key:
        key = secrets.token_urlsafe(16)
        request.state.portal_anon = key  # set_cookies() sends it
    return _ANON + key


def _choose_language(request: Request) -> None:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "")
    if asked in i18n.LOCALES:
        request.state.locale = asked


def _business_defaults(request: Request, account: Account) -> None:
    """The account's language when the visitor named none and their browser asks for none
    we speak; the account's time zone for every date shown."""
    state = request.state
    wanted = request.headers.get("accept-language")
    if not getattr(state, "locale", None) and i18n.negotiate(wanted, default="") == "":
        state.locale = account.language or None
    state.time_zone = account.time_zone or None


async def checked(request: Request, slug: str) -> Visit:
    """A POST's visit, once its CSRF token is checked (Forbidden: a 403 page)."""
    found = await run_in_threadpool(visit, request, slug)
    form = None
    if request.headers.get(csrf.HEADER.lower()) is None:
        form = await request.form()
    token = csrf.submitted(request.headers, form)
    key = _csrf_key(request, found.customer)
    fresh_anon = getattr(request.state, "portal_anon", "")
    if fresh_anon or not csrf.verify(services_from(request).settings.secret_key, key, token):
        raise Forbidden("csrf", "The form has expired. Reload the page and try again.")
    return found


async def signed(request: Request, slug: str) -> tuple[Visit, CustomerSignedIn]:
    """A signed-in customer's POST, CSRF checked; PortalSignInRequired when signed out."""
    found = await checked(request, slug)
    if found.customer is None:
        raise PortalSignInRequired(slug)
    return found, found.customer


def set_cookies(response: Response, request: Request) -> Response:
    """The cookies this request settled: a new anon key, a chosen language."""
    settings = services_from(request).settings
    fresh_anon = getattr(request.state, "portal_anon", "")
    if fresh_anon:
        _set(response, request, settings, ANON_COOKIE, fresh_anon)
    chosen = request.query_params.get("lang", "")
    if chosen in i18n.LOCALES:
        _set(response, request, settings, LANG_COOKIE, chosen, max_age=365 * 86_400)
    return response


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = services_from(request).settings
    _set(response, request, settings, COOKIE, token, max_age=settings.session_absolute_seconds)


def clear_session_cookie(response: Response, request: Request) -> None:
    settings = services_from(request).settings
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, samesite="lax", secure=secure(request, settings)
    )


def _set(
    response: Response,
    request: Request,
    settings: Settings,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax",
        secure=secure(request, settings), path=PATH,
    )  # fmt: skip
