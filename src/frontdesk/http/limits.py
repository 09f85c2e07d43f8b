"""Request body size limits, enforced before a handler reads the body.

A declared Content-Length over the limit is refused at once; a chunked body is counted as
it streams and cut off when it passes the limit. Multipart uploads get the (larger)
attachment limit plus room for the form's own framing.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.http.errors import ErrorRouter, Problem

Message = MutableMapping[str, Any]
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, router: ErrorRouter, json_limit: int, upload_limit: int
    ) -> None:
        self.app = app
        self.router = router
        self.json_limit = json_limit
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD

    def _limit(self, scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                return self.upload_limit
        return self.json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        exceeded = False
        refused = False
        started = False

        async def counted_receive() -> Message:
            # Past the limit the app gets an empty, final chunk: it stops reading, and
            # whatever it answers is replaced below (handlers may swallow exceptions).
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused, started
            if started or not exceeded:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send, limit)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        problem = Problem(413, "too_large", f"The request body is over the limit of {limit} bytes")
        response = self.router.render(scope.get("path", ""), problem)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
