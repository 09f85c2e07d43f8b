"""Mail fixtures: a running mail runtime on a free port, a real SMTP relay peer, helpers."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from email.policy import default as default_policy
from typing import Any, Protocol

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import select

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields, create_agent
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.mail.inbound import Inbound
from frontdesk.mail.outbound import OutboxWorker, Relay
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from tests.conftest import Tenant

AUTO_REPLY = "Thanks! We have your mail and answer within a day."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_services(services: Services, **changes: Any) -> Services:
    """The session's services (same database and blobs) with other mail settings."""
    settings: Settings = services.settings.model_copy(update=changes)
    return dataclasses.replace(services, settings=settings)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    helo: str = ""  # the name the client gave in EHLO / HELO

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=default_policy).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RelayPeer:
    """A real SMTP server standing in for the relay: it keeps what it accepts.

    Recipients starting with `reject` get 550, with `later` get 451.
    """

    port: int
    received: list[Received] = field(default_factory=list)
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, _o: Any
    ) -> str:
        local = address.split("@", 1)[0]
        if local.startswith("reject"):
            return "550 5.1.1 No such user"
        if local.startswith("later"):
            return "451 4.7.1 Greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        assert isinstance(data, bytes)
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from or "", list(envelope.rcpt_tos), data, session.host_name or ""
                )
            )
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str, sender: str) -> list[Received]:
        """What reached `address` from the inbox `sender` (tests share one database, so
        other tests' mail may pass through the same relay)."""
        with self.lock:
            found = [item for item in self.received if address in item.rcpt_tos]
        return [item for item in found if sender in str(item.message["From"])]


@dataclass
class SlowRelay(RelayPeer):
    """Keeps the mail, then answers the end of DATA after `delay` seconds."""

    delay: float = 0.0

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


@pytest.fixture
def relay() -> Iterator[RelayPeer]:
    peer = RelayPeer(free_port())
    peer.start()
    yield peer
    peer.stop()


class Listening(Protocol):
    port: int


def worker_for(services: Services, relay: Listening, **changes: Any) -> OutboxWorker:
    """An outbox worker sending to `relay` (a RelayPeer, a private Postfix)."""
    settings = {
        "mail_retry_base_seconds": 600.0,
        "relay_host": "127.0.0.1",
        "relay_port": relay.port,
        "relay_timeout_seconds": 5.0,
        **changes,
    }
    own = mail_services(services, **settings)
    configured = Relay.from_settings(own.settings)
    assert configured is not None
    return OutboxWorker(own.store, own.blobs, own.settings, configured)


def drain(worker: OutboxWorker, rounds: int = 20) -> None:
    """Send everything due, round after round, until nothing is left to claim."""
    for _round in range(rounds):
        if asyncio.run(worker.run_once()) == 0:
            return


@dataclass
class MailDesk:
    """A tenant with a support inbox (auto reply on) and the inbound pipeline."""

    tenant: Tenant
    services: Services
    inbound: Inbound
    support: Inbox
    sales: Inbox

    def agent(self, uow: Any, name: str = "Agnes") -> Agent:
        """The tenant's agent Agnes (made on first use), in the caller's transaction."""
        actor = self.tenant.actor
        email = self.tenant.address("agnes")
        found = uow.accounts.find_agent_by_email(actor.account_id, email)
        return found or create_agent(uow, actor, AgentFields(name=name, email=email))

    def inboxops(self, ticket_id: int) -> tuple[str, dict[str, str]]:
        """The InboxOps URL of a ticket and the headers that reach it."""
        tenant = self.tenant
        with self.services.store.read() as uow:
            ticket = uow.tickets.get_ticket(tenant.id, ticket_id)
            account = uow.accounts.get_account(tenant.id)
        assert ticket is not None and account is not None
        workspace = account.public_id
        url = f"/v1/workspaces/{workspace}/tickets/{ticket.uuid}"
        return url, {**tenant.headers(), "x-workspace-id": workspace}

    def outbox(self) -> list[Any]:
        with self.services.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.outbox)
                    .where(t.outbox.c.account_id == self.tenant.id)
                    .order_by(t.outbox.c.id)
                )
            )

    def receipts(self) -> list[Any]:
        with self.services.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.mail_receipts)
                    .where(t.mail_receipts.c.account_id == self.tenant.id)
                    .order_by(t.mail_receipts.c.id)
                )
            )

    def messages(self, ticket_id: int, *, logs: bool = False) -> list[Any]:
        """The ticket's messages; its log lines ("No auto reply: ...") only when asked."""
        query = select(t.messages).where(t.messages.c.ticket_id == ticket_id)
        if not logs:
            query = query.where(t.messages.c.kind != "log")
        with self.services.store.engine.connect() as conn:
            return list(conn.execute(query.order_by(t.messages.c.id)))

    def log_lines(self, ticket_id: int) -> list[str]:
        return [m.body_text for m in self.messages(ticket_id, logs=True) if m.kind == "log"]

    def tickets(self) -> list[Any]:
        with self.services.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.tickets)
                    .where(t.tickets.c.account_id == self.tenant.id)
                    .order_by(t.tickets.c.id)
                )
            )


@pytest.fixture
def desk(tenant: Tenant, services: Services) -> MailDesk:
    with services.store.write() as uow:
        support = accounts.create_inbox(
            uow, tenant.actor, "Support", tenant.address("support"), AUTO_REPLY
        )
        sales = accounts.create_inbox(uow, tenant.actor, "Sales", tenant.address("sales"))
    inbound = Inbound(services.store, services.blobs, services.settings)
    return MailDesk(tenant, services, inbound, support, sales)


@pytest.fixture
def runtime(services: Services) -> Iterator[MailRuntime]:
    """The SMTP listener on a free port (no relay, no IMAP: those have their own tests)."""
    own = mail_services(services, smtp_port=free_port(), max_mail_bytes=200_000)
    running = MailRuntime(own, outbox=False, imap=False).start()
    yield running
    running.stop()


AUTHSERV = "mx.frontdesk.test"


@pytest.fixture
def listener(services: Services) -> Iterator[MailRuntime]:
    """The SMTP listener, trusting Authentication-Results written under AUTHSERV."""
    own = mail_services(services, smtp_port=free_port(), mail_authserv_id=AUTHSERV)
    running = MailRuntime(own, outbox=False, imap=False).start()
    yield running
    running.stop()


def mail(
    sender: str = "Ann Lee <ann@example.org>",
    to: str = "support@example.com",
    subject: str = "Printer on fire",
    body: str = "It is on fire.",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def smtp_send(port: int, message: EmailMessage | bytes, sender: str, to: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        data = message if isinstance(message, bytes) else message.as_bytes(policy=SMTP)
        client.sendmail(sender, to, data)
