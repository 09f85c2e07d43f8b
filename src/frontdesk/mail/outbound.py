"""The outbox worker: claims due rows, sends them to the relay, records what happened.

A row is claimed in its own short transaction (status 'sending' until a lease runs out),
sent with no transaction open, and its outcome recorded in another: so several workers
(on several hosts) never send one row twice, and a worker that dies mid-send leaves the
row to be claimed again when its lease ends. The Message-ID is fixed at queue time, so
the rare resend after such a crash is recognisable as the same mail.

Outcomes: accepted -> 'sent'; no connection, a timeout or a 4xx -> 'queued' again after a
doubling backoff; a 5xx, or too many attempts -> 'failed', with a line in the ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from frontdesk.core.mail import outbox
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.ports import BlobStore
from frontdesk.mail.compose import OutgoingFile, compose
from frontdesk.mail.tokens import TicketTokens
from frontdesk.settings import Settings
from frontdesk.storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Relay | None:
        if not settings.relay_host:
            return None
        return cls(
            settings.relay_host,
            settings.relay_port,
            settings.relay_starttls,
            settings.relay_user,
            settings.relay_password,
            settings.relay_timeout_seconds,
        )


@dataclass(frozen=True)
class _Result:
    kind: str  # sent | retry | failed
    detail: str | None = None


class OutboxWorker:
    def __init__(
        self, store: Store, blobs: BlobStore, settings: Settings, relay: Relay, *, batch: int = 20
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.relay = relay
        self.batch = batch
        self.tokens = TicketTokens(settings.secret_key)
        # Longer than any one send can take, so a live worker never loses its claim.
        self.lease_ms = int((relay.timeout * 2 + 60) * 1000)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Send until `stop` is set; sleep between rounds unless `wake` is set."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("outbox round failed")
                handled = 0
            if handled >= self.batch:
                continue
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    _first(stop.wait(), wake.wait()), self.settings.outbox_poll_seconds
                )

    async def run_once(self) -> int:
        """Claim one batch of due rows and send them; how many were handled."""
        claimed = await asyncio.to_thread(self._claim)
        for mail in claimed:
            await self._handle(mail)
        return len(claimed)

    def _claim(self) -> list[OutboxMail]:
        with self.store.write() as uow:
            return uow.mail.claim_outbox(now_ms(), self.batch, self.lease_ms)

    async def _handle(self, mail: OutboxMail) -> None:
        if mail.attempts > self.settings.mail_max_attempts:
            result = _Result("failed", f"gave up after {mail.attempts - 1} attempts")
        else:
            try:
                message = await asyncio.to_thread(self._prepare, mail)
            except Exception as exc:  # a row that cannot become a mail never will
                log.exception("outbox row %s cannot be composed", mail.id)
                result = _Result("failed", f"cannot compose the mail: {type(exc).__name__}")
            else:
                result = await self._send(mail, message)
        await asyncio.to_thread(self._record, mail, result)

    def _prepare(self, mail: OutboxMail) -> EmailMessage:
        with self.store.read() as uow:
            inbox = uow.accounts.find_inbox_by_email(mail.from_addr)
            ticket = (
                uow.tickets.get_ticket(mail.account_id, mail.ticket_id)
                if mail.ticket_id is not None
                else None
            )
            carried = (
                uow.attachments.attachments_of_messages([mail.message_id]).get(mail.message_id, [])
                if mail.message_id is not None
                else []
            )
        files = [
            OutgoingFile(item.original_name, item.content_type, self.blobs.open(item.stored_name))
            for item in carried
        ]
        tagged = ticket is not None and mail.kind not in outbox.TO_AGENTS
        tag = self.tokens.tag(mail.account_id, ticket.number) if tagged and ticket else None
        return compose(mail, from_name=inbox.name if inbox else None, tag=tag, files=files)

    async def _send(self, mail: OutboxMail, message: EmailMessage) -> _Result:
        relay = self.relay
        # RFC 3834: auto replies go out with a null return path, so nothing bounces back
        # to an auto-responder.
        sender = "" if mail.kind == outbox.AUTO_REPLY else mail.from_addr
        try:
            errors, _reply = await aiosmtplib.send(
                message,
                sender=sender,
                recipients=[*mail.to, *mail.cc, *mail.bcc],
                hostname=relay.host,
                port=relay.port,
                start_tls=relay.starttls,
                username=relay.user or None,
                password=relay.password or None,
                timeout=relay.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = exc.recipients
            lasting = all(refused.code >= 500 for refused in refusals)
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
            return _Result("failed" if lasting else "retry", detail)
        except aiosmtplib.SMTPResponseException as exc:
            return _Result("failed" if exc.code >= 500 else "retry", f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return _Result("retry", f"{type(exc).__name__}: {exc}")
        partial = "; ".join(
            f"{rcpt}: {answer.code} {answer.message}" for rcpt, answer in errors.items()
        )
        return _Result("sent", partial or None)

    def _record(self, mail: OutboxMail, result: _Result) -> None:
        now = now_ms()
        with self.store.write() as uow:
            if result.kind == "sent":
                outbox.mail_sent(uow, mail, now, result.detail)
            elif result.kind == "retry":
                wait = outbox.backoff_ms(
                    mail.attempts,
                    int(self.settings.mail_retry_base_seconds * 1000),
                    int(self.settings.mail_retry_max_seconds * 1000),
                )
                outbox.mail_retry(uow, mail, result.detail or "retry", now + wait)
            else:
                outbox.mail_failed(uow, mail, result.detail or "failed", now)
        if result.kind != "sent":
            log.warning("outbox row %s %s: %s", mail.id, result.kind, result.detail)


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Return when the first of several coroutines finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
