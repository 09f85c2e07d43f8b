"""The web app: server-rendered pages for agents, admins and customers (docs/web.md).

A transport like the APIs: routes parse, call the core through the services, and render
templates. It never imports storage.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from frontdesk.web import errors, live, notify, pages
from frontdesk.web.assets import PREFIX, StaticAssets
from frontdesk.web.auth import routes as auth_routes
from frontdesk.web.session import SignInRequired
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
    app.include_router(live.router)  # before /tickets/{id}: /tickets/live is not an id
    app.include_router(ticket_routes.router)
    app.include_router(notify.router)
    live.install(app)

    async def to_sign_in(request: Request, _exc: Exception) -> Response:
        return auth_routes.sign_in_redirect(request)

    app.add_exception_handler(SignInRequired, to_sign_in)
    errors.install(app.state.error_router)
