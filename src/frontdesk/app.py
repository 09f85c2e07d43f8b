"""create_app(settings): wires storage, blobs and bus; mounts every dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from frontdesk import __version__
from frontdesk.api.imbox import chat_routes as imbox_chat
from frontdesk.api.imbox import errors as imbox_errors
from frontdesk.api.imbox import routes as imbox
from frontdesk.api.inboxops import errors as inboxops_errors
from frontdesk.api.inboxops import routes as inboxops
from frontdesk.api.native import admin, health, tickets
from frontdesk.api.native import chat as native_chat
from frontdesk.api.native import mail as native_mail
from frontdesk.api.v3 import errors as v3_errors
from frontdesk.api.v3 import routes as v3
from frontdesk.chat import sockets as chat_sockets
from frontdesk.chat import widget as chat_widget
from frontdesk.chat.hub import ChatHub
from frontdesk.http import errors
from frontdesk.http.limits import BodyLimitMiddleware
from frontdesk.http.ratelimit import SlidingWindowLimiter
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.web import install as install_web


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The ASGI application. Pass `services` to share them (tests); else they are built here."""
    services = services or build_services(settings or Settings())

    chat_hub = ChatHub(services.fanout)  # this app's chat sockets

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        chat_hub.close()
        _app.state.live_hub.close()
        services.close()

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        description="E-mail tickets and live chat behind several vendor-compatible APIs.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        default_response_class=JSONResponse,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.chat_hub = chat_hub
    error_router = errors.ErrorRouter()
    error_router.register(imbox_errors.PREFIX, imbox_errors.render)
    error_router.register(v3_errors.PREFIX, v3_errors.render)
    error_router.register(inboxops_errors.PREFIX, inboxops_errors.render)
    errors.install(app, error_router)
    app.state.error_router = error_router
    app.add_middleware(
        BodyLimitMiddleware,
        router=error_router,
        json_limit=services.settings.max_request_bytes,
        upload_limit=services.settings.max_attachment_bytes,
    )
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(tickets.router)
    app.include_router(native_mail.router)
    app.include_router(imbox.router)
    app.include_router(imbox_chat.router)
    app.include_router(native_chat.router)
    app.include_router(chat_sockets.router)
    app.include_router(chat_widget.router)
    app.state.contact_form_limiter = SlidingWindowLimiter(
        services.settings.contact_form_limit, services.settings.contact_form_window_seconds
    )
    app.include_router(v3.router)
    app.include_router(inboxops.router)
    install_web(app)
    return app


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory` worker processes: settings from the environment."""
    return create_app(Settings())
