"""Request body size limits, enforced before a handler reads the body.

A declared Content-Length over the limit is refused at once; a chunked body is counted as
it streams and cut off when it passes the limit. Only the routes that take a file
(marked with `takes_upload`) get the (larger) attachment limit, plus room for the form's
own framing, and only for a multipart body: claiming `multipart/form-data` elsewhere buys
nothing. Those routes read their form themselves, after authentication
(api/common/files.py), so an unauthenticated upload is refused before its body is read.

A middleware inside this one that reads the body before routing (Idempotency-Key spools
a keyed request first) puts the route's endpoint in the scope itself, as routing will, so
that a keyed upload gets the upload limit too; a body cut off at the limit is marked in
the scope (`BODY_CUT`), so that such a middleware knows not to act on it.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.http.errors import ErrorRouter, Problem

Message = MutableMapping[str, Any]
MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD = "_frontdesk_takes_upload"
BODY_CUT = "frontdesk.body_cut"  # set in the scope once the body passed its limit
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def takes_upload(endpoint: Endpoint) -> Endpoint:
    """Mark a route's endpoint as one that takes a file: its multipart body may be as
    large as an attachment. Put it below the router's decorator."""
    setattr(endpoint, _UPLOAD, True)
    return endpoint


def takes_uploads(endpoint: object) -> bool:
    return bool(getattr(endpoint, _UPLOAD, False))


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, router: ErrorRouter, json_limit: int, upload_limit: int
    ) -> None:
        self.app = app
        self.router = router
        self.json_limit = json_limit
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD

    def _limit(self, scope: Scope) -> int:
        """The route's limit, known once routing has put its endpoint in the scope: the
        body is first received after that, so nothing is read before it is chosen."""
        if _is_multipart(scope) and takes_uploads(scope.get("endpoint")):
            return self.upload_limit
        return self.json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        # Refused before routing when no route could take it: only a multipart body may
        # be larger than the JSON limit, and then only on an upload route (decided below).
        most = max(self.upload_limit, self.json_limit) if _is_multipart(scope) else self.json_limit
        if declared is not None and declared > most:
            await self._refuse(scope, receive, send, most)
            return
        limit: int | None = None
        seen = 0
        exceeded = False
        refused = False
        started = False

        async def counted_receive() -> Message:
            # Past the limit the app gets an empty, final chunk: it stops reading, and
            # whatever it answers is replaced below (handlers may swallow exceptions).
            nonlocal limit, seen, exceeded
            if limit is None:
                limit = self._limit(scope)
                exceeded = declared is not None and declared > limit
                if exceeded:
                    scope[BODY_CUT] = True
            if exceeded:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    scope[BODY_CUT] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused, started
            if started or not exceeded:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send, limit or self.json_limit)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        problem = Problem(413, "too_large", f"The request body is over the limit of {limit} bytes")
        response = self.router.render(scope.get("path", ""), problem)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.lower().startswith(b"multipart/form-data"))
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
