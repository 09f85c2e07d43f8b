"""ImBox fixtures: an account with two inboxes, agents, keys, and a local file server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.core.shared.records import Scope
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant

AUTO_REPLY = "Thanks, we got your message and answer within a day."


@dataclass
class ImBox:
    tenant: Tenant
    client: TestClient
    key: str  # Tickets Read and Tickets Write
    read_key: str
    write_key: str
    support: Inbox  # has an auto reply
    info: Inbox
    agent: Agent  # works in Support

    @property
    def services(self) -> Services:
        return self.tenant.services

    def url(self, endpoint: str, *rest: object, key: str | None = None, user: object = None) -> str:
        parts = [endpoint, key or self.key, str(self.tenant.id if user is None else user)]
        return "/message/" + "/".join([*parts, *(str(part) for part in rest)])

    def get(self, endpoint: str, *rest: object, **params: Any) -> httpx2.Response:
        return self.client.get(self.url(endpoint, *rest), params=params)

    def insert(self, body: dict[str, Any], key: str | None = None) -> httpx2.Response:
        return self.client.post(self.url("insertTicket", key=key), json=body)

    def body(self, **extra: Any) -> dict[str, Any]:
        """The spec's ticket.json, addressed to this account's Support inbox."""
        return {
            "fromEmail": "john.doe@example.com",
            "toEmail": self.support.email,
            "subject": "My subject",
            "message": "My message",
            **extra,
        }

    def open(
        self, subject: str = "Help", sender: str = "john.doe@example.org", **extra: Any
    ) -> int:
        with self.services.store.write() as uow:
            new = NewTicket(
                subject=subject,
                message=extra.pop("message", NewMessage(body_text="Hello")),
                requester_email=sender,
                **extra,
            )
            return tickets.open_ticket(uow, self.tenant.actor, new).ticket.id

    def set_times(
        self, ticket_id: int, *, created: int, updated: int, latest: int | None = None
    ) -> None:
        """Test set-up only: pin a ticket's timestamps to compare whole responses."""
        with self.services.store.engine.begin() as conn:
            conn.execute(
                update(t.tickets)
                .where(t.tickets.c.id == ticket_id)
                .values(created=created, updated=updated, latest_activity=latest or updated)
            )

    def counts(self) -> dict[str, int]:
        """Rows this account owns in every table a request could write to."""
        tables = {
            "tickets": t.tickets,
            "messages": t.messages,
            "attachments": t.attachments,
            "contacts": t.contacts,
            "outbox": t.outbox,
            "events": t.events,
        }
        with self.services.store.engine.connect() as conn:
            return {
                name: conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.account_id == self.tenant.id)
                ).scalar_one()
                for name, table in tables.items()
            }

    def outbox(self) -> list[Any]:
        with self.services.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.outbox)
                    .where(t.outbox.c.account_id == self.tenant.id)
                    .order_by(t.outbox.c.id)
                )
            )


@pytest.fixture
def imbox(tenant: Tenant, client: TestClient) -> ImBox:
    with tenant.services.store.write() as uow:
        support = accounts.create_inbox(
            uow, tenant.actor, "Support", tenant.address("support"), AUTO_REPLY
        )
        info = accounts.create_inbox(uow, tenant.actor, "Info", tenant.address("info"))
        agent = accounts.create_agent(
            uow,
            tenant.actor,
            AgentFields(name="Agent1 Name", email=tenant.address("agent1"), inbox_ids=[support.id]),
        )
    return ImBox(
        tenant=tenant,
        client=client,
        key=tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE),
        read_key=tenant.key(Scope.TICKETS_READ),
        write_key=tenant.key(Scope.TICKETS_WRITE),
        support=support,
        info=info,
        agent=agent,
    )


@pytest.fixture
def allow_private(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let insertTicket fetch from the loopback file server (FRONTDESK_ALLOW_PRIVATE_FETCH)."""
    monkeypatch.setattr(
        services, "settings", services.settings.model_copy(update={"allow_private_fetch": True})
    )


def payload(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


class _Files(BaseHTTPRequestHandler):
    """/file/<name>?size=N, /chunked?size=N, /redirect?to=URL, /slow?seconds=S (3 by
    default), anything else 404."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        size = int(query.get("size", "100"))
        if url.path.startswith("/file/"):
            self._send(200, payload(size), {"Content-Length": str(size)})
        elif url.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = payload(size)
            for start in range(0, size, 4096):
                chunk = data[start : start + 4096]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/redirect":
            self._send(302, b"", {"Location": query["to"], "Content-Length": "0"})
        elif url.path == "/slow":
            time.sleep(float(query.get("seconds", "3")))
            self._send(200, b"late", {"Content-Length": "4"})
        else:
            self._send(404, b"no", {"Content-Length": "2"})

    def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early (the deadline tests) are expected here


@pytest.fixture(scope="session")
def file_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1; its base URL."""
    server = _QuietServer(("127.0.0.1", 0), _Files)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
