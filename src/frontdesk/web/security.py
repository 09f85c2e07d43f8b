"""The headers every web response carries, and the route class that adds them.

Only the web app's responses get them: the JSON APIs answer machines, and the API docs
page (Swagger UI) loads its scripts from elsewhere, which this policy would refuse.
Routes built with `web_router()` get them on every answer; error pages and /static/ add
them themselves, since those are answered outside any route.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

# No inline script or style, nothing from another origin: an injected <script> or
# style="" attribute does nothing, and the page cannot be framed or post elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # ticket URLs stay off other sites' logs
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that predate it
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


class WebRoute(APIRoute):
    """A route whose every response carries SECURITY_HEADERS, and knows when it began
    (`request.state.read_at`, epoch ms: what its page shows was read after it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            # Before anything is read: the page's live channel catches up from here.
            request.state.read_at = int(time.time() * 1000)
            response = await handler(request)
            response.headers.update(SECURITY_HEADERS)
            return response

        return with_headers


def web_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for web pages: security headers, and no place in the API's OpenAPI."""
    return APIRouter(route_class=WebRoute, include_in_schema=False, **kwargs)
