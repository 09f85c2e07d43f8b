"""v3 fixtures: an account with categories, a department, an inbox, an agent and two
customers (contacts with customer tokens), and a client with its own network address."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.core.tickets import NewMessage, taxonomy
from frontdesk.core.tickets.records import MessageKind, Status
from frontdesk.services import Services
from tests.conftest import Tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_addresses = itertools.count(1)


def client_address() -> str:
    """A distinct client address per test: the contact form is rate-limited per address."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@dataclass
class Customer:
    contact_id: int
    email: str
    token: str


@dataclass
class V3:
    tenant: Tenant
    client: TestClient
    me: Customer
    other: Customer  # another customer of the same account
    agent: Agent
    inbox: Inbox

    @property
    def services(self) -> Services:
        return self.tenant.services

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self.me.token if token is None else token, **extra}

    def get(self, path: str, token: str | None = None, **extra: str) -> httpx2.Response:
        return self.client.get(path, headers=self.headers(token, **extra))

    def body(self, **extra: Any) -> dict[str, Any]:
        """A ticket as the spec's POST /v3/tickets describes it."""
        return {
            "title": "Cannot log in",
            "content": "Since this morning my password is refused.",
            "category": "Billing",
            "department": "Support",
            "emailCc": "",
            "emailTo": self.inbox.email,
            **extra,
        }

    def create(self, token: str | None = None, **extra: Any) -> httpx2.Response:
        return self.client.post("/v3/tickets", json=self.body(**extra), headers=self.headers(token))

    def ticket(self, token: str | None = None, **extra: Any) -> dict[str, Any]:
        response = self.create(token, **extra)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def agent_writes(
        self, ticket_id: int, text: str, kind: MessageKind = MessageKind.EXTERNAL, **extra: Any
    ) -> int:
        with self.services.store.write() as uow:
            return tickets.add_message(
                uow,
                self.tenant.actor,
                ticket_id,
                NewMessage(body_text=text, kind=kind, agent_id=self.agent.id, **extra),
            ).id

    def set_status(self, ticket_id: int, status: Status, *, force: bool = False) -> None:
        with self.services.store.write() as uow:
            tickets.set_status(uow, self.tenant.actor, ticket_id, status, force=force)

    def upload(self, data: bytes = PNG, name: str = "shot.png", token: str | None = None) -> int:
        response = self.client.post(
            "/v3/tickets/attachment",
            files={"attachment": (name, data, "application/octet-stream")},
            headers=self.headers(token),
        )
        assert response.status_code == 200, response.text
        return int(response.json()["attachmentId"])


def make_customer(tenant: Tenant, local: str) -> Customer:
    with tenant.services.store.write() as uow:
        contact = contacts.find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address(local), name=local.title())
        )
        token = credentials.issue_customer_token(uow, tenant.actor, contact.id).token
    return Customer(contact.id, contact.email, token)


@pytest.fixture
def v3(tenant: Tenant, client: TestClient) -> V3:
    with tenant.services.store.write() as uow:
        for name in ("Billing", "Technical"):
            taxonomy.create_named(uow, tenant.actor, "category", name)
        taxonomy.create_named(uow, tenant.actor, "department", "Support")
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        agent = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Ann Agent", email=tenant.address("ann"))
        )
    return V3(
        tenant=tenant,
        client=TestClient(client.app, client=(client_address(), 50000)),
        me=make_customer(tenant, "me"),
        other=make_customer(tenant, "other"),
        agent=agent,
        inbox=inbox,
    )


def error_of(response: httpx2.Response, status: int) -> dict[str, Any]:
    """The v3 envelope, checked: the status twice, a message and a machine code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) <= {"code", "message", "error", "field"}
    return body  # type: ignore[no-any-return]
