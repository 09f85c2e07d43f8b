"""The web app: server-rendered pages for agents, admins and customers (docs/web.md).

A transport like the APIs: routes parse, call the core through the services, and render
templates. It never imports storage.
"""

from __future__ import annotations

from fastapi import FastAPI

from frontdesk.web import errors, pages
from frontdesk.web.assets import PREFIX, StaticAssets
from frontdesk.web.templating import Templates


def install(app: FastAPI) -> None:
    """Mount the pages and /static/, and answer errors on the web's paths with pages.

    Call it after the API's error router is in `app.state.error_router`.
    """
    app.state.templates = Templates()
    app.mount(PREFIX, StaticAssets(), name="static")
    app.include_router(pages.router)
    errors.install(app.state.error_router)
