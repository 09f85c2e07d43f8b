"""InboxOps fixtures: a workspace (account) with an inbox and two agents, a client that
sends the bearer key and the workspace header, and the spec's example bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Inbox
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from tests.conftest import Tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Ops:
    tenant: Tenant
    client: TestClient
    token: str
    inbox: Inbox
    agent: Agent
    other_agent: Agent

    @property
    def services(self) -> Services:
        return self.tenant.services

    @property
    def workspace(self) -> str:
        return self.tenant.account.public_id

    @property
    def base(self) -> str:
        return f"/v1/workspaces/{self.workspace}/tickets"

    def headers(self, token: str | None = None, workspace: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.token}",
            "x-workspace-id": workspace or self.workspace,
        }

    def get(self, path: str = "", **params: Any) -> httpx2.Response:
        return self.client.get(self.base + path, params=params, headers=self.headers())

    def post(self, path: str = "", body: Any = None) -> httpx2.Response:
        return self.client.post(self.base + path, json=body, headers=self.headers())

    def patch(self, path: str, body: Any) -> httpx2.Response:
        return self.client.patch(self.base + path, json=body, headers=self.headers())

    def create(
        self, subject: str = "Support request", body: str = "Initial message text.", **extra: Any
    ) -> dict[str, Any]:
        response = self.post("", {"subject": subject, "body": body, **extra})
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def message(self, ticket_id: str, **body: Any) -> dict[str, Any]:
        response = self.post(f"/{ticket_id}/messages", body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        response = self.get(f"/{ticket_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def upload(self, ticket_id: str, data: bytes = PNG, name: str = "shot.png") -> dict[str, Any]:
        response = self.client.post(
            f"{self.base}/{ticket_id}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            headers=self.headers(),
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def ops(tenant: Tenant, client: TestClient) -> Ops:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        agent = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Ann Agent", email=tenant.address("ann"))
        )
        other = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Bob Agent", email=tenant.address("bob"))
        )
    token = tenant.key(Scope.TICKETS_READ, Scope.TICKETS_WRITE)
    return Ops(tenant, client, token, inbox, agent, other)


def error_of(response: httpx2.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The InboxOps error body, checked: the status twice, a phrase, a message, a code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"statusCode", "error", "message", "code", "field"}
    if code is not None:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]
