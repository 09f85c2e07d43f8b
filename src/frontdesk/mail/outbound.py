"""The outbox worker: claims due rows, sends them to the relay, records what happened.

A row is claimed in its own short transaction (status 'sending' until a lease runs out),
sent with no transaction open, and its outcome recorded in another: so several workers
(on several hosts) never send one row twice, and a worker that dies mid-send leaves the
row to be claimed again when its lease ends. A batch is claimed at once but each row's
lease is renewed right before its own send (and the row skipped if the claim was lost),
so a slow batch never outlives the lease of the rows it has not sent yet. An accepted
mail is recorded before QUIT. The Message-ID is fixed at queue time, so the rare resend
after a crash between the relay's 250 and that record is recognisable as the same mail.

Outcomes: accepted -> 'sent'; no connection, a timeout or a 4xx -> 'queued' again after a
doubling backoff; a 5xx, or too many attempts -> 'failed', with a line in the ticket; no
answer to the end of DATA (or the connection lost after it began) -> 'unknown', with a
line in the ticket, and never resent by itself (the relay may have the mail).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from aiosmtplib.response import SMTPResponse

from frontdesk.core.mail import outbox
from frontdesk.core.mail.records import OAUTH2, PASSWORD, InboxRelay, OutboxMail
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.ports import BlobStore
from frontdesk.mail.agent_replies import AgentReplyTokens
from frontdesk.mail.compose import OutgoingFile, compose
from frontdesk.mail.tokens import BounceTokens, TicketTokens
from frontdesk.services.fetch import Resolver, permitted, resolve
from frontdesk.services.oauth import OAuthFailed, TokenSource
from frontdesk.services.sealing import RELAY_LOGIN, SealBroken, unseal
from frontdesk.settings import Settings
from frontdesk.storage.faults import log_round_failure
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
    kind: str  # sent | retry | failed | unknown | held
    detail: str | None = None
    recorded: bool = False  # already written to the row (a 'sent', before QUIT)


class _Held(Exception):
    """The mail cannot be tried yet: no relay for it, or its OAuth grant needs an admin."""


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        settings: Settings,
        relay: Relay | None,
        *,
        batch: int = 20,
        resolver: Resolver = resolve,
        access: TokenSource | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.relay = relay  # the installation's; an inbox may have its own (InboxRelay)
        self.batch = batch
        self.resolver = resolver
        self.tokens = TicketTokens(settings.secret_key)
        self.bounce_tokens = BounceTokens(settings.secret_key)
        self.agent_tokens = AgentReplyTokens(settings.secret_key)
        self.access = access or TokenSource(store, settings, resolver=resolver)
        # Longer than any one send can take (the commands, then the long wait after
        # DATA), so a live worker never loses its claim and no row is sent twice.
        timeout, data_timeout = (
            (relay.timeout, relay.data_timeout) if relay is not None else _timeouts(settings)
        )
        self.lease_ms = int((timeout * 4 + data_timeout + 60) * 1000)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Send until `stop` is set; sleep between rounds unless `wake` is set."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception as exc:
                log_round_failure(log, "outbox round", exc)
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
                message, own = await asyncio.to_thread(self._prepare, mail)
            except Exception as exc:  # a row that cannot become a mail never will
                log.exception("outbox row %s cannot be composed", mail.id)
                result = _Result("failed", f"cannot compose the mail: {type(exc).__name__}")
            else:
                if not await asyncio.to_thread(self._renew, mail):
                    log.info("outbox row %s: claim lost before sending; skipped", mail.id)
                    return
                result = await self._send(mail, message, own)
        if not result.recorded:
            await asyncio.to_thread(self._record, mail, result)

    def _renew(self, mail: OutboxMail) -> bool:
        # The claim's lease covers one send, but a batch is sent one row after another:
        # with a slow relay the last rows would outlive it and another worker could claim
        # and send them too. So each row's lease starts again right before its own send,
        # in a short transaction that also checks the row is still ours. Renewing, rather
        # than claiming with a lease for a whole batch's worst case (20 x 15 minutes), keeps
        # a dead worker's rows waiting one send's lease, not a batch's.
        with self.store.write() as uow:
            return outbox.renew_claim(uow, mail, now_ms(), self.lease_ms)

    def _prepare(self, mail: OutboxMail) -> tuple[EmailMessage, InboxRelay | None]:
        """The mail as it leaves, and the relay of its inbox's own, if it has one."""
        with self.store.read() as uow:
            inbox = uow.accounts.find_inbox_by_email(mail.from_addr)
            own = uow.mail.get_relay(inbox.id) if inbox is not None else None
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
            agent = _agent_name(uow, mail)
            agent_id = _notified_agent(uow, mail)
        files = [
            OutgoingFile(item.original_name, item.content_type, self.blobs.open(item.stored_name))
            for item in carried
        ]
        mail = dataclasses.replace(mail, reply_to=self._reply_to(mail, agent_id))
        tagged = ticket is not None and mail.kind not in outbox.TO_AGENTS
        tag = self.tokens.tag(mail.account_id, ticket.number) if tagged and ticket else None
        name = outbox.display_name(inbox.name, agent) if inbox is not None else None
        composed = compose(mail, from_name=name, tag=tag, files=files, names=names)
        return composed, own

    def _reply_to(self, mail: OutboxMail, agent_id: int | None) -> str | None:
        """A ticket's notification goes to the agent with their signed reply address, so
        that answering it from their mail program lands on the ticket (docs/mail.md,
        "Agents answer by e-mail"); other mail keeps what it was queued with."""
        if agent_id is None or mail.ticket_id is None or mail.reply_to:
            return mail.reply_to
        return self.agent_tokens.address(mail.from_addr, mail.account_id, agent_id, mail.ticket_id)

    async def _send(
        self, mail: OutboxMail, message: EmailMessage, own: InboxRelay | None
    ) -> _Result:
        try:
            client = await self._client(own, refresh=False)
            try:
                return await self._deliver(client, mail, message)
            except aiosmtplib.SMTPAuthenticationError:
                if own is None or own.auth != OAUTH2:
                    raise
            # The relay refused a token we held fresh (revoked, or ended early): one new
            # token, one more try; a second refusal is an ordinary 5xx.
            return await self._deliver(await self._client(own, refresh=True), mail, message)
        except _Held as held:
            return _Result("held", str(held))
        except aiosmtplib.SMTPResponseException as exc:
            return _Result("failed" if exc.code >= 500 else "retry", f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return _Result("retry", f"{type(exc).__name__}: {exc}")

    async def _client(self, own: InboxRelay | None, *, refresh: bool) -> _Client:
        """A client for the inbox's own relay, else for the installation's."""
        timeout, data_timeout = _timeouts(self.settings)
        helo = self.settings.smtp_hostname or socket.gethostname()
        if own is None:
            relay = self.relay
            if relay is None:
                raise _Held("no relay: set FRONTDESK_RELAY_HOST or the inbox's own relay")
            return _Client(
                data_timeout=relay.data_timeout,
                hostname=relay.host,
                port=relay.port,
                start_tls=relay.starttls,
                username=relay.user or None,
                password=relay.password or None,
                timeout=relay.timeout,
                local_hostname=relay.helo_name or helo,
            )
        login: dict[str, Any] = {}
        if own.auth == PASSWORD:
            try:
                password = unseal(own.password, self.settings.secret_key, RELAY_LOGIN)
            except SealBroken as exc:
                raise _Held(f"relay password: {exc}; store it again") from exc
            login = {"username": own.username, "password": password}
        elif own.auth == OAUTH2:
            try:
                token = await asyncio.to_thread(
                    self.access.access_token, own.inbox_id, refresh=refresh
                )
            except OAuthFailed as exc:
                raise _Held(str(exc)) from exc

            async def bearer() -> str:
                return token

            login = {"username": own.username, "oauth_token_generator": bearer}
        sock = await asyncio.to_thread(self._pinned_socket, own, timeout)
        return _Client(
            data_timeout=data_timeout,
            sock=sock,
            hostname=own.host,
            use_tls=own.security == "tls",
            start_tls=own.security == "starttls",
            timeout=timeout,
            local_hostname=helo,
            **login,
        )

    def _pinned_socket(self, own: InboxRelay, timeout: float) -> socket.socket:
        # An account admin names this host: as for IMAP and URL fetches, private networks
        # are refused unless the operator allows them, and the connection goes to the
        # address that was checked (TLS still checks the certificate against the name).
        addresses = self.resolver(own.host, own.port)
        allow = self.settings.allow_private_fetch
        if not addresses or not all(permitted(a, allow_private=allow) for a in addresses):
            raise _Held(f"the relay {own.host} is on a private or local network")
        return socket.create_connection((addresses[0], own.port), timeout)

    async def _deliver(self, client: _Client, mail: OutboxMail, message: EmailMessage) -> _Result:
        # RFC 3834: auto replies go out with a null return path, so nothing bounces back
        # to an auto-responder. Other mail carries its own VERP return path, so a bounce
        # names the row it reports on (mail/bounces.py).
        sender = (
            ""
            if mail.kind == outbox.AUTO_REPLY
            else self.bounce_tokens.return_path(mail.from_addr, mail.id)
        )
        try:
            async with client:
                errors, _reply = await client.send_message(
                    message, sender=sender, recipients=[*mail.to, *mail.cc, *mail.bcc]
                )
                # Recorded at once, in its own short transaction, before QUIT (which may
                # take up to the relay's timeout): a process that dies after the relay's
                # 250 and before this commit sends the mail again once the lease ends,
                # so this window is kept as short as it can be.
                accepted = _accepted(errors)
                await asyncio.to_thread(self._record, mail, accepted)
                return dataclasses.replace(accepted, recorded=True)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = exc.recipients
            lasting = all(refused.code >= 500 for refused in refusals)
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refusals)
            return _Result("failed" if lasting else "retry", detail)
        except aiosmtplib.SMTPAuthenticationError:
            raise  # the caller may refresh an OAuth token and try again
        except aiosmtplib.SMTPResponseException as exc:
            return _Result("failed" if exc.code >= 500 else "retry", f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if client.data_began:
                # The mail may be at the relay: resending could deliver it twice (RFC 5321
                # 4.5.3.2.6, 6.1). Marked and said on the ticket; never retried by itself.
                return _Result("unknown", f"{type(exc).__name__} after DATA: {exc}")
            return _Result("retry", f"{type(exc).__name__}: {exc}")

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
            elif result.kind == "held":
                wait = int(self.settings.mail_retry_base_seconds * 1000)
                outbox.mail_held(uow, mail, result.detail or "held", now + wait)
            elif result.kind == "unknown":
                outbox.mail_unknown(uow, mail, result.detail or "no answer after DATA", now)
            else:
                outbox.mail_failed(uow, mail, result.detail or "failed", now)
        if result.kind == "held":  # said in the row; every round would repeat it
            log.debug("outbox row %s held: %s", mail.id, result.detail)
        elif result.kind != "sent":
            log.warning("outbox row %s %s: %s", mail.id, result.kind, result.detail)


def _accepted(errors: dict[str, SMTPResponse]) -> _Result:
    """The relay took the mail; `errors` are the recipients it refused (a partial send)."""
    partial = "; ".join(
        f"{rcpt}: {answer.code} {answer.message}" for rcpt, answer in errors.items()
    )
    return _Result("sent", partial or None)


def _timeouts(settings: Settings) -> tuple[float, float]:
    """The per-command timeout and the wait for the answer to the end of DATA."""
    return settings.relay_timeout_seconds, settings.relay_data_timeout_seconds


def _notified_agent(uow: SqlUnitOfWork, mail: OutboxMail) -> int | None:
    """The agent a ticket's notification mail is for (its one recipient)."""
    if mail.kind != outbox.NOTIFICATION or mail.ticket_id is None or len(mail.to) != 1:
        return None
    agent = uow.accounts.find_agent_by_email(mail.account_id, mail.to[0])
    return agent.id if agent is not None else None


def _agent_name(uow: SqlUnitOfWork, mail: OutboxMail) -> str | None:
    """The name of the agent whose reply this mail is, if it is one."""
    if mail.kind != outbox.AGENT_REPLY or mail.message_id is None:
        return None
    found = uow.tickets.get_messages(mail.account_id, [mail.message_id])
    return found[0].from_name if found and found[0].agent_id is not None else None


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
