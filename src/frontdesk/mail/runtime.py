"""The mail side of a running Frontdesk: SMTP listener, outbox worker, IMAP poller.

It runs in one background thread with its own event loop, started by `frontdesk serve`
in the serving parent process (HTTP workers may be many; port 2525 can be bound once)
or alone by `frontdesk mail`. Stopping lets a send in progress finish first, so a clean
shutdown never leaves a mail half-recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any

from frontdesk.core.notify import mails
from frontdesk.core.shared.clock import now_ms
from frontdesk.mail.imap import ImapPoller
from frontdesk.mail.inbound import Inbound
from frontdesk.mail.outbound import OutboxWorker, Relay
from frontdesk.mail.smtp import bound_port, start_listener
from frontdesk.services import Services
from frontdesk.services.oauth import TokenSource
from frontdesk.storage.faults import log_round_failure

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 15.0
DIGEST_SECONDS = 60.0


class MailRuntime:
    def __init__(
        self, services: Services, *, smtp: bool = True, outbox: bool = True, imap: bool = True
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.inbound = Inbound(services.store, services.blobs, self.settings, on_queued=self.wake)
        # One per process for the poller and the worker: their refreshes of an inbox's OAuth
        # token take turns, so a provider that rotates refresh tokens never sees the old one
        # used after the new one was issued.
        self.access = TokenSource(services.store, self.settings)
        self._want = {"smtp": smtp, "outbox": outbox, "imap": imap}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.smtp_port: int | None = None
        self.running: list[str] = []

    def start(self, timeout: float = 30.0) -> MailRuntime:
        """Start in the background; returns once listening (or raises why it could not)."""
        self._thread = threading.Thread(target=self._run, name="frontdesk-mail", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the mail runtime did not start in time")
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = STOP_GRACE_SECONDS + 5) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop has just closed by itself
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Tell the outbox worker that something was queued (from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() if it happened before ready
            self._error = self._error or exc
            log.exception("mail runtime stopped")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._wake = asyncio.Event(), asyncio.Event()
        server = await self._listen()
        tasks = [asyncio.create_task(job) for job in self._jobs(self._stop, self._wake)]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            if server is not None:
                server.close()
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _listen(self) -> asyncio.Server | None:
        port = self.settings.smtp_port
        if not self._want["smtp"] or port == 0:
            return None
        server = await start_listener(
            self.inbound,
            self.settings.smtp_host,
            port,
            max_bytes=self.settings.max_mail_bytes,
            hostname=self.settings.smtp_hostname,
        )
        self.smtp_port = bound_port(server)
        self.running.append(f"smtp on {self.settings.smtp_host}:{self.smtp_port}")
        return server

    def _jobs(self, stop: asyncio.Event, wake: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        jobs: list[Coroutine[Any, Any, None]] = []
        if self._want["outbox"]:
            # Always started: an inbox may have its own relay even when the installation
            # has none (mail of the other inboxes then waits, its attempts not counted).
            relay = Relay.from_settings(self.settings)
            worker = OutboxWorker(
                self.services.store, self.services.blobs, self.settings, relay, access=self.access
            )
            jobs.append(worker.run(stop, wake))
            where = f"{relay.host}:{relay.port}" if relay else "inboxes' own relays only"
            self.running.append(f"outbox to {where}")
            jobs.append(self._digests(stop, wake))
            self.running.append("notification digests")
        if self._want["imap"]:
            jobs.append(self._poll_imap(stop))
            self.running.append("imap poller")
        return jobs

    async def _digests(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Agents' hourly and daily notification digests, looked for once a minute."""
        base_url = self.settings.public_base_url

        def queue() -> int:
            with self.services.store.write() as uow:
                return mails.queue_digests(uow, base_url, now_ms())

        while not stop.is_set():
            try:
                if await asyncio.to_thread(queue):
                    wake.set()
            except Exception as exc:
                log_round_failure(log, "notification digest round", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DIGEST_SECONDS)

    async def _poll_imap(self, stop: asyncio.Event) -> None:
        poller = ImapPoller(self.inbound, tokens=self.access)
        while not stop.is_set():
            try:
                await asyncio.to_thread(poller.poll_all)
            except Exception as exc:
                log_round_failure(log, "IMAP round", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.imap_poll_seconds)
