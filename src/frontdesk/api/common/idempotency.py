"""`Idempotency-Key` on every POST of every dialect (docs/native.md), as ASGI middleware.

Sent with a key, a POST is fingerprinted (method, path, query and body), claimed in its
own short transaction (core.automation.idempotency), run, and its success stored; a retry
with the same key and request gets the stored answer (`Idempotent-Replayed: true`), one
with another request the dialect's 409. A twin that arrives while the first still runs
waits for its answer. Requests without a key, or whose credential does not authenticate
(the route answers those), pass through untouched.

Each dialect says where its credential travels (`KeyedRoutes`). The body is spooled to a
temporary file (in memory while small) as it arrives, inside the body-size limit, and
replayed to the route from there, so a keyed upload is never held in memory whole. A
multipart body is fingerprinted by its parts, not its bytes: a client's retry carries a
fresh boundary, and must still count as the same request.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.core.automation import idempotency
from frontdesk.core.automation.records import StoredAnswer
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, DomainError, Unauthenticated
from frontdesk.core.shared.records import Actor
from frontdesk.http.errors import ErrorRouter, Problem, from_domain, from_fault
from frontdesk.http.limits import BODY_CUT, takes_uploads
from frontdesk.services import Services
from frontdesk.services.auth import actor_for, bearer_token
from frontdesk.storage.faults import classify, describe

log = logging.getLogger(__name__)
HEADER = "idempotency-key"
KEPT_HEADERS = ("content-type", "etag", "location")
WAIT_SECONDS = 30.0  # how long a twin waits for the first request's answer
SPOOL_IN_MEMORY = 1024 * 1024  # a larger body goes to a temporary file
REPLAY_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class KeyedRoutes:
    """A dialect's POSTs under `prefix`, where their credential travels, and the routes
    among which its uploads are (found before routing, for the body's size limit)."""

    prefix: str
    token: Callable[[Scope, Headers], str]
    kind: CredentialKind = CredentialKind.API_KEY
    routes: Sequence[BaseRoute] = ()

    def endpoint(self, scope: Scope) -> object:
        """The endpoint routing will choose, if it is one of `routes`."""
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return child.get("endpoint")
        return None


def bearer(_scope: Scope, headers: Headers) -> str:
    """`Authorization: Bearer <token>`, as the native API and InboxOps send it."""
    return bearer_token(headers.get("authorization"))


@dataclass(slots=True)
class Spooled:
    """A request body as received: the file it waits in, and its digest."""

    file: IO[bytes]
    digest: str


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        services: Services,
        router: ErrorRouter,
        dialects: Sequence[KeyedRoutes],
    ) -> None:
        self.app = app
        self.services = services
        self.router = router
        self.dialects = tuple(dialects)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websocket scopes carry no headers
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        dialect = self._dialect(scope)
        if dialect is None or key is None:
            await self.app(scope, receive, send)
            return
        actor = await self._actor(dialect, scope, headers)
        if actor is None:
            await self.app(scope, receive, send)
            return
        # Read before routing: the body limit learns the route here, as routing would tell it.
        endpoint = dialect.endpoint(scope)
        if takes_uploads(endpoint):
            scope["endpoint"] = endpoint
        body = await _spool(receive, headers.get("content-type", ""))
        try:
            if scope.get(BODY_CUT):  # over the limit: the body limit answers 413
                await self.app(scope, _replayed(body.file), send)
                return
            await self._once(scope, send, actor, key, body)
        except DomainError as exc:
            await self._answer(scope, send, from_domain(exc))
        except (SQLAlchemyError, OSError) as exc:
            await self._storage_fault(scope, send, exc)
        finally:
            body.file.close()

    def _dialect(self, scope: Scope) -> KeyedRoutes | None:
        if scope["method"] != "POST":
            return None
        path: str = scope["path"]
        return next((d for d in self.dialects if path.startswith(d.prefix)), None)

    async def _actor(self, dialect: KeyedRoutes, scope: Scope, headers: Headers) -> Actor | None:
        token = dialect.token(scope, headers)
        try:
            return await run_in_threadpool(actor_for, self.services, token, dialect.kind)
        except (Unauthenticated, SQLAlchemyError, OSError):
            return None  # the route authenticates again, and answers as it always does

    async def _answer(self, scope: Scope, send: Send, problem: Problem) -> None:
        response = self.router.render(scope["path"], problem)
        await response(scope, _replayed(io.BytesIO()), send)

    async def _storage_fault(self, scope: Scope, send: Send, exc: Exception) -> None:
        """Outside the app's handlers, a storage fault is answered here as they would:
        503 / 507 in the dialect's envelope (docs/reliability.md); anything else is a bug."""
        fault = classify(exc)
        if fault is None:
            raise exc
        log.warning("storage %s: %s", fault.value, describe(exc))
        retry_after = self.services.settings.retry_after_seconds
        await self._answer(scope, send, from_fault(fault, retry_after))

    async def _once(self, scope: Scope, send: Send, actor: Actor, key: str, body: Spooled) -> None:
        fingerprint = _fingerprint(scope, body.digest)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            claim = await run_in_threadpool(self._claim, actor, key, fingerprint)
            if claim.answer is not None:
                await _replay(claim.answer, send)
                return
            if not claim.waiting:
                break
            if time.monotonic() > deadline:
                raise idempotency_in_progress()
            await asyncio.sleep(0.05)
        await self._run(scope, send, actor, key, body.file)

    def _claim(self, actor: Actor, key: str, fingerprint: str) -> idempotency.Claim:
        with self.services.store.write() as uow:
            return idempotency.claim(uow, actor, key, fingerprint, now_ms())

    async def _run(self, scope: Scope, send: Send, actor: Actor, key: str, body: IO[bytes]) -> None:
        status = 500
        kept: dict[str, str] = {}
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = Headers(raw=message.get("headers", []))
                kept.update({name: answered[name] for name in KEPT_HEADERS if name in answered})
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _replayed(body), recording_send)
        except BaseException:
            await run_in_threadpool(self._release, actor, key)
            raise
        text = b"".join(chunks).decode("utf-8", "replace")
        await run_in_threadpool(self._finish, actor, key, status, text, kept)

    def _finish(
        self, actor: Actor, key: str, status: int, body: str, headers: dict[str, str]
    ) -> None:
        with self.services.store.write() as uow:
            idempotency.finish(uow, actor, key, status, body, headers)

    def _release(self, actor: Actor, key: str) -> None:
        with self.services.store.write() as uow:
            idempotency.release(uow, actor, key)


def idempotency_in_progress() -> DomainError:
    return Conflict(
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still running; retry shortly",
        field="Idempotency-Key",
    )


def _fingerprint(scope: Scope, body_digest: str) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
        digest.update(part.encode() + b"\0")
    digest.update(body_digest.encode())
    return digest.hexdigest()


class _Digest:
    """The body's digest: of its bytes, or of a multipart body's parts (their headers and
    data, in order) so that the boundary, which every client draws afresh, is left out.
    A multipart body that does not parse is digested as bytes: the route refuses it."""

    def __init__(self, content_type: str) -> None:
        self.raw = hashlib.sha256()
        self.parts = hashlib.sha256()
        self.parser: MultipartParser | None = None
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind == b"multipart/form-data" and boundary:
            self.parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": lambda: self.parts.update(b"\0part\0"),
                    "on_header_field": self._take,
                    "on_header_value": self._take,
                    "on_header_end": lambda: self.parts.update(b"\0header\0"),
                    "on_part_data": self._take,
                },
            )

    def _take(self, data: bytes, start: int, end: int) -> None:
        self.parts.update(data[start:end])

    def update(self, chunk: bytes) -> None:
        self.raw.update(chunk)
        if self.parser is not None:
            try:
                self.parser.write(chunk)
            except MultipartParseError:
                self.parser = None

    def hexdigest(self) -> str:
        if self.parser is not None:
            return "multipart:" + self.parts.hexdigest()
        return self.raw.hexdigest()


async def _spool(receive: Receive, content_type: str) -> Spooled:
    """Every chunk the body limit lets through, into a spooled file; a large body's writes
    (and the parser's work) happen off the event loop."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (caller closes)
    digest = _Digest(content_type)

    def take(chunk: bytes) -> None:
        spool.write(chunk)
        digest.update(chunk)

    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            if len(chunk) > REPLAY_CHUNK or spool.tell() > SPOOL_IN_MEMORY:
                await run_in_threadpool(take, chunk)
            else:
                take(chunk)
            if not message.get("more_body", False):
                break
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return Spooled(spool, digest.hexdigest())


def _replayed(body: IO[bytes]) -> Receive:
    """The spooled body, chunk by chunk, as the route would have received it."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            await asyncio.Event().wait()  # like a client that sends nothing more
        chunk = await run_in_threadpool(body.read, REPLAY_CHUNK)
        more = len(chunk) == REPLAY_CHUNK
        done = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return receive


async def _replay(answer: StoredAnswer, send: Send) -> None:
    body = (answer.body or "").encode()
    headers = [(name.encode(), value.encode()) for name, value in answer.headers.items()]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
