"""Errors to HTTP: one status table, and one renderer per dialect chosen by path prefix.

A client of a vendor dialect must see that vendor's error envelope even for errors raised
before its routes run (unknown path, oversize body, malformed JSON), so the choice is made
on the request path, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.core.shared.errors import DomainError

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    "invalid": 422,
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "conflict": 409,
    "too_large": 413,
    "rate_limited": 429,
}
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
}


@dataclass(frozen=True)
class Problem:
    """An error, dialect-neutral: what every renderer receives."""

    status: int
    code: str
    message: str
    field: str | None = None
    headers: dict[str, str] | None = None


Renderer = Callable[[Problem], Response]


def native_renderer(problem: Problem) -> Response:
    body: dict[str, object] = {"code": problem.code, "message": problem.message}
    if problem.field:
        body["field"] = problem.field
    return JSONResponse({"error": body}, status_code=problem.status, headers=problem.headers)


class ErrorRouter:
    """Picks the renderer registered for the path exactly, else the longest prefix match."""

    def __init__(self, default: Renderer = native_renderer) -> None:
        self.default = default
        self.by_prefix: list[tuple[str, Renderer]] = []
        # The web app owns `/` itself, which as a prefix would swallow every dialect's path.
        self.by_path: dict[str, Renderer] = {}

    def register(self, prefix: str, renderer: Renderer, *, exact: bool = False) -> None:
        if exact:
            self.by_path[prefix] = renderer
            return
        self.by_prefix.append((prefix, renderer))
        self.by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def render(self, path: str, problem: Problem) -> Response:
        if path in self.by_path:
            return self.by_path[path](problem)
        for prefix, renderer in self.by_prefix:
            if path.startswith(prefix):
                return renderer(problem)
        return self.default(problem)


def from_domain(exc: DomainError) -> Problem:
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return Problem(STATUS_BY_KIND.get(exc.kind, 400), exc.code, exc.message, exc.field, headers)


def from_validation(exc: RequestValidationError) -> Problem:
    """Malformed JSON is a 400; well-formed JSON with wrong values is a 422."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid" and _is_body(first):
        return Problem(400, "malformed_body", "The body is not a valid JSON object")
    loc = tuple(first.get("loc", ()))
    # Only the leading location word goes: a field may itself be called `body` (InboxOps).
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    where = ".".join(str(part) for part in loc)
    message = str(first.get("msg", "Invalid request"))
    return Problem(422, "invalid", f"{where}: {message}" if where else message, where or None)


def _is_body(error: Mapping[str, Any]) -> bool:
    loc = tuple(error.get("loc", ()))
    return bool(loc) and loc[0] == "body" and len(loc) <= 2


def from_http(exc: StarletteHTTPException) -> Problem:
    code = CODE_BY_STATUS.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return Problem(exc.status_code, code, message, headers=dict(exc.headers or {}) or None)


def install(app: FastAPI, router: ErrorRouter) -> None:
    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return router.render(request.url.path, from_domain(exc))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return router.render(request.url.path, from_validation(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return router.render(request.url.path, from_http(exc))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Logged without the path: some dialects carry keys in it.
        log.exception("unhandled error on %s", request.scope.get("route_path", "request"))
        return router.render(request.url.path, Problem(500, "internal_error", "Internal error"))

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
