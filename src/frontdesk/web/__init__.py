"""The web app: server-rendered pages for agents, admins and customers (docs/web.md).

A transport like the APIs: routes parse, call the core through the services, and render
templates. It never imports storage.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from frontdesk.web import canned, csat, errors, live, notify, pages, reports, rules, sla
from frontdesk.web.assets import PREFIX, StaticAssets
from frontdesk.web.auth import passkeys as passkey_routes
from frontdesk.web.auth import routes as auth_routes
from frontdesk.web.auth import security as security_routes
from frontdesk.web.chats import routes as chat_routes
from frontdesk.web.portal import routes as portal_routes
from frontdesk.web.portal.session import PortalSignInRequired
from frontdesk.web.session import SignInRequired
from frontdesk.web.settings import agents as settings_agents
from frontdesk.web.settings import audit as settings_audit
from frontdesk.web.settings import fields as settings_fields
from frontdesk.web.settings import inboxes as settings_inboxes
from frontdesk.web.settings import keys as settings_keys
from frontdesk.web.settings import mail_problems as settings_mail_problems
from frontdesk.web.settings import routes as settings_routes
from frontdesk.web.settings import webhooks as settings_webhooks
from frontdesk.web.settings import widget as settings_widget
from frontdesk.web.templating import Templates
from frontdesk.web.tickets import routes as ticket_routes


def install(app: FastAPI) -> None:
    """Mount the pages and /static/, and answer errors on the web's paths with pages.

    Call it after the API's error router is in `app.state.error_router`.
    """
    app.state.templates = Templates()
    app.mount(PREFIX, StaticAssets(), name="static")
    app.include_router(pages.router)
    app.include_router(auth_routes.router)
    app.include_router(security_routes.router)
    app.include_router(passkey_routes.router)
    app.include_router(live.router)  # before /tickets/{id}: /tickets/live is not an id
    app.include_router(ticket_routes.router)
    app.include_router(chat_routes.router)
    app.include_router(canned.router)
    app.include_router(csat.router)
    app.include_router(rules.router)
    app.include_router(reports.router)
    app.include_router(sla.router)
    app.include_router(notify.router)
    app.include_router(settings_routes.router)
    app.include_router(settings_agents.router)
    app.include_router(settings_inboxes.router)
    app.include_router(settings_keys.router)
    app.include_router(settings_fields.router)
    app.include_router(settings_webhooks.router)
    app.include_router(settings_audit.router)
    app.include_router(settings_widget.router)
    app.include_router(settings_mail_problems.router)
    app.include_router(portal_routes.router)
    live.install(app)

    async def to_sign_in(request: Request, _exc: Exception) -> Response:
        return auth_routes.sign_in_redirect(request)

    async def to_portal_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PortalSignInRequired)
        return portal_routes.sign_in_redirect(request, exc)

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(PortalSignInRequired, to_portal_sign_in)
    errors.install(app.state.error_router)
