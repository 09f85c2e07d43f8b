"""The outbox worker: claims due rows, sends them to the relay, records what happened.

A row is claimed in its own short transaction (status 'sending' until a lease runs out),
sent with no transaction open, and its outcome recorded in another: so several workers
(on several hosts) never send one row twice, and a worker that dies mid-send leaves the
row to be claimed again when its lease ends. The Message-ID is fixed at queue time, so
the rare resend after such a crash is recognisable as the same mail.

Outcomes: accepted -> 'sent'; no connection, a timeout or a 4xx -> 'queued' again after a
doubling backoff; a 5xx, or too many attempts -> 'failed', with a line in the ticket; no
answer to the end of DATA (or the connection lost after it began) -> 'unknown', with a
line in the ticket, and never resent by itself (the relay may have the mail).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from aiosmtplib.response import SMTPResponse

from frontdesk.core.mail import outbox
from frontdesk.core.mail.records import OutboxMail
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.ports import BlobStore
from frontdesk.mail.compose import OutgoingFile, compose
from frontdesk.mail.tokens import BounceTokens, TicketTokens
from frontdesk.settings import Settings
from frontdesk.storage.store import Store
from frontdesk.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

MAX_NAMED = 50  # recipients whose display name is looked up (a Cc list can be long)


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 60.0
    helo_name: str = ""  # what EHLO says: the configured host name, else the machine's
    data_timeout: float = 600.0  # the wait for the answer to the end of DATA

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
            settings.smtp_hostname or socket.gethostname(),
            settings.relay_data_timeout_seconds,
        )


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client, waiting up to `data_timeout` for the answer to the end of DATA
    (RFC 5321 4.5.3.2.6: 10 minutes; every other command has the relay's timeout), and
    remembering that DATA began: a timeout or a lost connection after that leaves the
    outcome unknown (the relay may have taken the mail), not a passing failure."""

    def __init__(self, *, data_timeout: float, **options: Any) -> None:
        super().__init__(**options)
        self.data_timeout = data_timeout
        self.data_began = False

    async def data(self, message: str | bytes, /, **_options: Any) -> SMTPResponse:
        self.data_began = True
        return await super().data(message, timeout=self.data_timeout)


@dataclass(frozen=True)
class _Result:
    kind: str  # sent | retry | failed | unknown
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
        self.bounce_tokens = BounceTokens(settings.secret_key)
        # Longer than any one send can take (the commands, then the long wait after
        # DATA), so a live worker never loses its claim and no row is sent twice.
        self.lease_ms = int((relay.timeout * 4 + relay.data_timeout + 60) * 1000)

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
            names = _names(uow, mail.account_id, (*mail.to, *mail.cc))
        files = [
            OutgoingFile(item.original_name, item.content_type, self.blobs.open(item.stored_name))
            for item in carried
        ]
        tagged = ticket is not None and mail.kind not in outbox.TO_AGENTS
        tag = self.tokens.tag(mail.account_id, ticket.number) if tagged and ticket else None
        return compose(
            mail, from_name=inbox.name if inbox else None, tag=tag, files=files, names=names
        )

    async def _send(self, mail: OutboxMail, message: EmailMessage) -> _Result:
        relay = self.relay
        # RFC 3834: auto replies go out with a null return path, so nothing bounces back
        # to an auto-responder. Other mail carries its own VERP return path, so a bounce
        # names the row it reports on (mail/bounces.py).
        sender = (
            ""
            if mail.kind == outbox.AUTO_REPLY
            else self.bounce_tokens.return_path(mail.from_addr, mail.id)
        )
        client = _Client(
            data_timeout=relay.data_timeout,
            hostname=relay.host,
            port=relay.port,
            start_tls=relay.starttls,
            username=relay.user or None,
            password=relay.password or None,
            timeout=relay.timeout,
            local_hostname=relay.helo_name or socket.gethostname(),
        )
        try:
            async with client:
                errors, _reply = await client.send_message(
                    message, sender=sender, recipients=[*mail.to, *mail.cc, *mail.bcc]
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = exc.recipients
            lasting = all(refused.code >= 500 for refused in refusals)
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
            return _Result("failed" if lasting else "retry", detail)
        except aiosmtplib.SMTPResponseException as exc:
            return _Result("failed" if exc.code >= 500 else "retry", f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if client.data_began:
                # The mail may be at the relay: resending could deliver it twice (RFC 5321
                # 4.5.3.2.6, 6.1). Marked and said on the ticket; never retried by itself.
                return _Result("unknown", f"{type(exc).__name__} after DATA: {exc}")
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
            elif result.kind == "unknown":
                outbox.mail_unknown(uow, mail, result.detail or "no answer after DATA", now)
            else:
                outbox.mail_failed(uow, mail, result.detail or "failed", now)
        if result.kind != "sent":
            log.warning("outbox row %s %s: %s", mail.id, result.kind, result.detail)


def _names(uow: SqlUnitOfWork, account_id: int, addresses: Sequence[str]) -> dict[str, str]:
    """The names the account's contacts go by, for the To and Cc headers."""
    names: dict[str, str] = {}
    for address in addresses[:MAX_NAMED]:
        contact = uow.contacts.find_contact_by_email(account_id, address)
        if contact is not None and contact.name:
            names[address] = contact.name
    return names


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Return when the first of several coroutines finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
