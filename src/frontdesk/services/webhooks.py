"""Webhooks at run time: the outbox hook on the store, and the worker that sends deliveries.

The hook queues deliveries in every write transaction that recorded events, just before
it commits (core.automation.queue_deliveries). The worker, started by `frontdesk serve`,
claims due deliveries in a short transaction, POSTs each with no transaction open (signed,
to an address that passed the same check as fetched attachments, within a time limit),
and records the attempt in another: the mail outbox's pattern (mail/outbound.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable

import httpx2

from frontdesk.core.automation import deliveries, idempotency
from frontdesk.core.automation.deliveries import DAY_MS, Attempted, Outcome, Work
from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import DeliveryPolicy, FeedEvent
from frontdesk.core.automation.webhooks import queue_deliveries
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.services import sealing
from frontdesk.services.fetch import AddressRefused, Resolver, pin, resolve
from frontdesk.settings import Settings
from frontdesk.storage.faults import log_round_failure
from frontdesk.storage.store import Store
from frontdesk.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

WEBHOOK_SECRET = "webhook-secret"  # noqa: S105 (the sealing purpose, not a secret)
USER_AGENT = "Frontdesk-Webhooks/1"
SWEEP_SECONDS = 3600.0  # how often the worker forgets expired keys and old deliveries
SWEEP_BATCH = 500  # deliveries deleted per transaction: no lock is held for long
# A round's outcomes are recorded together, at the latest after this long of sending: one
# commit per round instead of one per delivery, and a slow receiver delays no record long.
RECORD_EVERY = 1.0
# The object a webhook body carries, as the native API shows it (api/native/hook_payloads).
Render = Callable[[AutomationUnit, FeedEvent], object]


def install(store: Store) -> None:
    """Queue webhook deliveries in the transaction that recorded their events."""

    def queue(uow: SqlUnitOfWork) -> None:
        if uow.events.recorded:
            queue_deliveries(uow, uow.events.recorded)

    store.before_commit.append(queue)


def seal_secret(settings: Settings, secret: str) -> str:
    """A new endpoint secret as it is stored: sealed with the installation's key (the
    worker unseals it to sign each delivery)."""
    return sealing.seal(secret, settings.secret_key, WEBHOOK_SECRET)


def check_target(url: str | None, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Refuse an endpoint on a private or local network when it is registered (the settings
    screen and the native API alike) instead of every delivery failing later. A host that
    does not resolve (yet) is not refused here; its deliveries say so in the log."""
    if url and _refuses_address(url.strip(), allow_private=allow_private, resolver=resolver):
        raise Invalid(
            "address_not_allowed",
            "The address is on a private or local network (loopback, private, link-local)",
            field="url",
        )


def _refuses_address(url: str, *, allow_private: bool, resolver: Resolver) -> bool:
    try:
        pin(httpx2.URL(url), allow_private=allow_private, resolver=resolver)
    except AddressRefused as refused:
        return refused.reason == "private"
    except (httpx2.InvalidURL, UnicodeError, ValueError):
        return False  # the core's own check says what is wrong with it
    return False


def policy_of(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        retry_base_ms=int(settings.webhook_retry_base_seconds * 1000),
        retry_max_ms=int(settings.webhook_retry_max_seconds * 1000),
        max_attempts=settings.webhook_max_attempts,
        disable_after_ms=settings.webhook_disable_after_seconds * 1000,
        keep_delivered_ms=settings.webhook_keep_delivered_days * DAY_MS,
        keep_failed_ms=settings.webhook_keep_failed_days * DAY_MS,
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex: what `Frontdesk-Signature` carries."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def body_of(work: Work, obj: object) -> str:
    event = work.event
    assert event is not None  # checked by the caller
    payload = {
        "id": event.id,
        "type": event.kind,
        "time": event.created,
        "account": {"id": event.account_id, "public_id": work.account_public_id},
        "actor": event.actor,
        "ticket_id": event.ticket_id,
        "data": event.data,
        "object": obj,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


# Why an endpoint's address was refused, as the delivery log says it.
REFUSALS = {
    "unresolved": "the host does not resolve",
    "private": "address_not_allowed: the host is on a private or local network",
}


def _log_failure(what: str, exc: Exception) -> None:
    log_round_failure(log, what, exc)


class WebhookWorker:
    """Sends due deliveries until stopped; one thread, so each ticket's order is kept."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        render: Render,
        *,
        batch: int = 50,
        resolver: Resolver = resolve,
    ) -> None:
        self.store = store
        self.settings = settings
        self.render = render
        self.batch = batch
        self.resolver = resolver
        self.policy = policy_of(settings)
        self.lease_ms = int((settings.webhook_timeout_seconds * 2 + 60) * 1000)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx2.Client(
            trust_env=False,
            follow_redirects=False,
            timeout=settings.webhook_timeout_seconds,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            # Addresses are pinned per request: a pooled connection is keyed by address,
            # and reusing it for another name would skip that name's TLS check.
            limits=httpx2.Limits(max_keepalive_connections=0),
        )

    def start(self) -> WebhookWorker:
        self._thread = threading.Thread(target=self._loop, name="frontdesk-webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        swept = 0.0
        while not self._stop.is_set():
            if time.monotonic() - swept > SWEEP_SECONDS:
                swept = time.monotonic()
                self.sweep()
                self.sweep_deliveries()
            try:
                handled = self.run_once()
            except Exception as exc:
                _log_failure("webhook round", exc)
                handled = 0
            if handled >= self.batch:
                continue
            self._wake.wait(self.settings.webhook_poll_seconds)
            self._wake.clear()

    def sweep(self) -> int:
        """Forget Idempotency-Keys past their window; how many (errors are logged)."""
        try:
            with self.store.write() as uow:
                return idempotency.sweep(uow, now_ms())
        except Exception as exc:
            _log_failure("idempotency sweep", exc)
            return 0

    def sweep_deliveries(self, now: int | None = None, batch: int = SWEEP_BATCH) -> int:
        """Delete finished deliveries past their keeping time, a batch per transaction so
        that senders and admins never wait long; how many (errors are logged)."""
        at = now_ms() if now is None else now
        gone = 0
        try:
            while True:
                with self.store.write() as uow:
                    done = deliveries.forget_old(uow, self.policy, at, batch)
                gone += done
                if done < batch or self._stop.is_set():
                    return gone
        except Exception as exc:
            _log_failure("webhook delivery sweep", exc)
            return gone

    def run_once(self) -> int:
        """Claim one batch of due deliveries, send them, and record their outcomes a few
        transactions at a time (one per RECORD_EVERY seconds of sending, at least one per
        batch); how many were handled."""
        with self.store.write() as uow:
            claimed = deliveries.claim(uow, now_ms(), self.batch, self.lease_ms)
        if not claimed:
            return 0
        bodies = self._bodies(claimed)
        done: list[Attempted] = []
        since = time.monotonic()
        for work in claimed:
            done.append(self._attempt(work, bodies.get(work.delivery.id, work.delivery.body)))
            if time.monotonic() - since > RECORD_EVERY:
                self._record(done)
                done, since = [], time.monotonic()
        self._record(done)
        return len(claimed)

    def _bodies(self, claimed: list[Work]) -> dict[int, str]:
        """The bodies of the deliveries tried for the first time, rendered in one read."""
        first = [work for work in claimed if work.delivery.body is None and work.event]
        if not first:
            return {}
        with self.store.read() as uow:
            return {
                work.delivery.id: body_of(work, self.render(uow, work.event))
                for work in first
                if work.event is not None
            }

    def _attempt(self, work: Work, body: str | None) -> Attempted:
        if work.event is None or body is None:
            outcome = Outcome(deliveries.FAILED, None, "the event no longer exists", 0)
        else:
            outcome = self._send(work, body)
        if outcome.kind != deliveries.DELIVERED:
            log.warning("webhook delivery %s %s: %s", work.delivery.id, outcome.kind, outcome.error)
        return Attempted(work, outcome, body)

    def _record(self, done: list[Attempted]) -> None:
        if done:
            with self.store.write() as uow:
                deliveries.record_all(uow, done, self.policy, now_ms())

    def _send(self, work: Work, body: str) -> Outcome:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            target = pin(
                httpx2.URL(work.endpoint.url),
                allow_private=self.settings.allow_private_webhooks,
                resolver=self.resolver,
            )
        except AddressRefused as refused:
            return Outcome(deliveries.FAILED, None, REFUSALS[refused.reason], took())
        try:
            secret = sealing.unseal(work.endpoint.secret, self.settings.secret_key, WEBHOOK_SECRET)
        except sealing.SealBroken as exc:
            return Outcome(deliveries.FAILED, None, str(exc), took())
        data = body.encode()
        stamp = int(time.time())
        headers = {
            **target.headers,
            "Frontdesk-Event-Id": str(work.delivery.event_id),
            "Frontdesk-Event-Type": work.delivery.kind,
            "Frontdesk-Delivery-Id": str(work.delivery.id),
            "Frontdesk-Attempt": str(work.delivery.attempts),
            "Frontdesk-Timestamp": str(stamp),
            "Frontdesk-Signature": signature(secret, stamp, data),
        }
        try:
            # Streamed and closed unread: only the status counts, and a receiver's answer
            # body, however large, is never held in memory.
            with self._client.stream(
                "POST",
                target.url,
                content=data,
                headers=headers,
                extensions={"sni_hostname": target.sni},
            ) as response:
                code = response.status_code
        except httpx2.HTTPError as exc:
            return Outcome(deliveries.RETRY, None, f"{type(exc).__name__}: {exc}"[:500], took())
        if 200 <= code < 300:
            return Outcome(deliveries.DELIVERED, code, None, took())
        passing = code == 429 or code >= 500
        kind = deliveries.RETRY if passing else deliveries.FAILED
        return Outcome(kind, code, f"HTTP {code}", took())
