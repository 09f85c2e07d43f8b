"""create_app(settings): wires storage, blobs and bus; mounts every dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from frontdesk import __version__
from frontdesk.api.common import openapi
from frontdesk.api.common.idempotency import IdempotencyMiddleware
from frontdesk.api.imbox import chat_routes as imbox_chat
from frontdesk.api.imbox import errors as imbox_errors
from frontdesk.api.imbox import openapi as imbox_openapi
from frontdesk.api.imbox import routes as imbox
from frontdesk.api.inboxops import errors as inboxops_errors
from frontdesk.api.inboxops import openapi as inboxops_openapi
from frontdesk.api.inboxops import routes as inboxops
from frontdesk.api.native import (
    admin,
    events,
    health,
    notifications,
    people,
    ticket_list,
    tickets,
    webhooks,
)
from frontdesk.api.native import canned as native_canned
from frontdesk.api.native import chat as native_chat
from frontdesk.api.native import chat_settings as native_chat_settings
from frontdesk.api.native import csat as native_csat
from frontdesk.api.native import mail as native_mail
from frontdesk.api.native import mail_sending as native_mail_sending
from frontdesk.api.native import openapi as native_openapi
from frontdesk.api.native import rules as native_rules
from frontdesk.api.native import sla as native_sla
from frontdesk.api.v3 import errors as v3_errors
from frontdesk.api.v3 import openapi as v3_openapi
from frontdesk.api.v3 import routes as v3
from frontdesk.chat import sockets as chat_sockets
from frontdesk.chat import widget as chat_widget
from frontdesk.chat.admission import ChatLimits
from frontdesk.chat.hub import ChatHub
from frontdesk.chat.presence import build_presence
from frontdesk.http import errors, gc_pauses
from frontdesk.http.auth import AuthLimits
from frontdesk.http.input import checked_input
from frontdesk.http.limits import BodyLimitMiddleware
from frontdesk.http.ratelimit import RateLimiter, limiter, redis_client
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.web import install as install_web


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The ASGI application. Pass `services` to share them (tests); else they are built here."""
    services = services or build_services(settings or Settings())

    resolved = services.settings
    presence = build_presence(resolved.redis_url, resolved.chat_channel_prefix)
    chat_hub = ChatHub(services.fanout, presence)  # this app's chat sockets

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
        # NUL and unpaired surrogates are refused wherever they arrive (http/input.py).
        dependencies=[Depends(checked_input)],
    )
    app.state.services = services
    app.state.chat_hub = chat_hub
    error_router = errors.ErrorRouter()
    error_router.register(imbox_errors.PREFIX, imbox_errors.render)
    error_router.register(v3_errors.PREFIX, v3_errors.render)
    error_router.register(inboxops_errors.PREFIX, inboxops_errors.render)
    errors.install(app, error_router)
    app.state.error_router = error_router
    # Inside the body limit, so a key's request is read only up to it (docs/native.md).
    app.add_middleware(
        IdempotencyMiddleware,
        services=services,
        router=error_router,
        dialects=(tickets.KEYED, imbox.KEYED, inboxops.KEYED, v3.KEYED),
    )
    app.add_middleware(
        BodyLimitMiddleware,
        router=error_router,
        json_limit=services.settings.max_request_bytes,
        upload_limit=services.settings.max_attachment_bytes,
    )
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(tickets.router)
    app.include_router(ticket_list.router)
    app.include_router(people.router)
    app.include_router(notifications.router)
    app.include_router(native_mail.router)
    app.include_router(native_mail_sending.router)
    app.include_router(webhooks.router)
    app.include_router(events.router)
    app.include_router(native_csat.router)
    app.include_router(imbox.router)
    app.include_router(imbox_chat.router)
    app.include_router(native_chat.router)
    app.include_router(native_chat_settings.router)
    app.include_router(native_canned.router)
    app.include_router(native_rules.router)
    app.include_router(native_sla.router)
    app.include_router(chat_sockets.router)
    app.include_router(chat_widget.router)
    _install_limiters(app, services.settings)
    app.include_router(v3.router)
    app.include_router(inboxops.router)
    install_web(app)
    _install_documents(app)
    # Outermost, so that everything inside sees the real client: the address in
    # X-Forwarded-For counts only when the peer is one of the configured proxies.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=services.settings.trusted_proxies)
    return app


def _install_documents(app: FastAPI) -> None:
    """Each dialect's OpenAPI document at its own address (docs/<dialect>.md)."""

    def native() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.document(app, native_openapi.DESCRIPTION, __version__)
        return app.openapi_schema

    app.openapi = native  # type: ignore[method-assign]  # /api/v1/openapi.json and /docs
    openapi.serve(app, "/message/openapi.json", imbox_openapi.DESCRIPTION, __version__)
    openapi.serve(app, "/v1/openapi.json", inboxops_openapi.DESCRIPTION, __version__)
    openapi.serve(app, "/v3/openapi.json", v3_openapi.DESCRIPTION, __version__)


def _install_limiters(app: FastAPI, settings: Settings) -> None:
    """Every rate limit of the app: shared through Redis when it is configured."""
    redis = redis_client(settings.redis_url) if settings.redis_url else None

    def make(name: str, limit: int, window: float) -> RateLimiter:
        return limiter(name, limit, window, redis=redis, prefix=settings.chat_channel_prefix)

    app.state.contact_form_limiter = make(
        "contact-form", settings.contact_form_limit, settings.contact_form_window_seconds
    )
    chat_window = settings.chat_new_window_seconds
    app.state.chat_limits = ChatLimits(
        conversations_by_address=make(
            "chat-conversations-address", settings.chat_new_conversations_per_address, chat_window
        ),
        chats_by_address=make("chat-address", settings.chat_new_chats_per_address, chat_window),
        chats_by_widget=make("chat-widget", settings.chat_new_chats_per_widget, chat_window),
        proof_bits=settings.chat_proof_bits,
    )
    window = settings.auth_failure_window_seconds
    app.state.auth_limits = AuthLimits(
        by_address=make("auth-address", settings.auth_failures_per_address, window),
        by_key=make("auth-key", settings.auth_failures_per_key, window),
    )


def factory() -> FastAPI:
    """Entry point for `uvicorn --factory` worker processes: settings from the environment."""
    settings = Settings()
    app = create_app(settings)
    # A serving process keeps its connections for long: short full collections (the chat's
    # p99; http/gc_pauses.py). Here and not in create_app, so tests' apps leave gc alone.
    gc_pauses.install(settings.gc_rescan_seconds)
    return app
