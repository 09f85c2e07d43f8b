"""`Idempotency-Key` on every POST of the native API (docs/native.md), as ASGI middleware.

Sent with a key, a POST is fingerprinted (method, path, query and body), claimed in its
own short transaction (core.automation.idempotency), run, and its success stored; a retry
with the same key and request gets the stored answer (`Idempotent-Replayed: true`), one
with another request a 409. A twin that arrives while the first still runs waits for its
answer. Requests without a key, or whose key does not authenticate (the route answers
those), pass through untouched. Multipart uploads are not covered (docs/native.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.core.automation import idempotency
from frontdesk.core.automation.records import StoredAnswer
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, DomainError, Unauthenticated
from frontdesk.core.shared.records import Actor
from frontdesk.http.errors import ErrorRouter, Problem, from_domain, from_fault
from frontdesk.services import Services
from frontdesk.services.auth import actor_for, bearer_token
from frontdesk.storage.faults import classify, describe

log = logging.getLogger(__name__)
PREFIX = "/api/v1/"
HEADER = "idempotency-key"
KEPT_HEADERS = ("content-type", "etag", "location")
WAIT_SECONDS = 30.0  # how long a twin waits for the first request's answer


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, services: Services, router: ErrorRouter) -> None:
        self.app = app
        self.services = services
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(PREFIX)
            or key is None
            or headers.get("content-type", "").startswith("multipart/")
        ):
            await self.app(scope, receive, send)
            return
        actor = await self._actor(headers)
        if actor is None:
            await self.app(scope, receive, send)
            return
        body = await _read_all(receive)
        try:
            await self._once(scope, send, actor, key, body)
        except DomainError as exc:
            await self._answer(scope, send, from_domain(exc))
        except (SQLAlchemyError, OSError) as exc:
            await self._storage_fault(scope, send, exc)

    async def _actor(self, headers: Headers) -> Actor | None:
        token = bearer_token(headers.get("authorization"))
        try:
            return await run_in_threadpool(actor_for, self.services, token)
        except (Unauthenticated, SQLAlchemyError, OSError):
            return None  # the route authenticates again, and answers as it always does

    async def _answer(self, scope: Scope, send: Send, problem: Problem) -> None:
        response = self.router.render(scope["path"], problem)
        await response(scope, _replayed(b""), send)

    async def _storage_fault(self, scope: Scope, send: Send, exc: Exception) -> None:
        """Outside the app's handlers, a storage fault is answered here as they would:
        503 / 507 in the native envelope (docs/reliability.md); anything else is a bug."""
        fault = classify(exc)
        if fault is None:
            raise exc
        log.warning("storage %s: %s", fault.value, describe(exc))
        retry_after = self.services.settings.retry_after_seconds
        await self._answer(scope, send, from_fault(fault, retry_after))

    async def _once(self, scope: Scope, send: Send, actor: Actor, key: str, body: bytes) -> None:
        fingerprint = _fingerprint(scope, body)
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
        await self._run(scope, send, actor, key, body)

    def _claim(self, actor: Actor, key: str, fingerprint: str) -> idempotency.Claim:
        with self.services.store.write() as uow:
            return idempotency.claim(uow, actor, key, fingerprint, now_ms())

    async def _run(self, scope: Scope, send: Send, actor: Actor, key: str, body: bytes) -> None:
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


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode()):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replayed(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # like a client that sends nothing more
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

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
