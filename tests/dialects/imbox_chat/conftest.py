"""ImBox chat fixtures: an account with agents, keys, and chats written at chosen times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from frontdesk.core import accounts, chat
from frontdesk.core.accounts import AgentFields
from frontdesk.core.chat_records import VisitorInfo
from frontdesk.core.models import Agent, Scope
from frontdesk.services import Services
from tests.conftest import Tenant

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00.000Z
MINUTE = 60_000


class Clock:
    """Stands in for core.chat's clock: every write happens at `now`."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@dataclass
class ImBoxChat:
    tenant: Tenant
    client: TestClient
    key: str  # Chat Read
    agent: Agent
    back_office: Agent
    clock: Clock

    @property
    def services(self) -> Services:
        return self.tenant.services

    def url(self, endpoint: str, *rest: object, key: str | None = None, user: object = None) -> str:
        parts = [endpoint, key or self.key, str(self.tenant.id if user is None else user)]
        return "/message/" + "/".join([*parts, *(str(part) for part in rest)])

    def get(self, endpoint: str, *rest: object, **params: Any) -> httpx.Response:
        return self.client.get(self.url(endpoint, *rest), params=params)

    def visitor(
        self, at: int, page: str = "https://example.org/", info: VisitorInfo | None = None
    ) -> str:
        self.clock.now = at
        with self.services.store.write() as repo:
            opened = chat.open_conversation(repo, self.tenant.id, info or VisitorInfo(), page)
        return opened.conversation.public_id

    def write(self, public_id: str, at: int, who: str, text: str = "") -> None:
        """who: visitor, agent, back (the other agent), join, close, rate:N, page:URL."""
        self.clock.now = at
        actor = self.tenant.actor
        with self.services.store.write() as repo:
            if who == "visitor":
                chat.post_visitor_message(repo, actor, public_id, text or "question")
            elif who in ("agent", "back"):
                agent = self.agent if who == "agent" else self.back_office
                chat.agent_reply(repo, actor, public_id, agent.id, text or "answer")
            elif who == "join":
                chat.join(repo, actor, public_id, self.agent.id)
            elif who == "close":
                chat.close(repo, actor, public_id, self.agent.id)
            elif who.startswith("rate:"):
                chat.rate(repo, actor, public_id, int(who[5:]))
            elif who.startswith("page:"):
                chat.visit(repo, actor, public_id, who[5:], kind="pageChange")
            else:
                raise ValueError(who)


@pytest.fixture
def imchat(tenant: Tenant, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> ImBoxChat:
    clock = Clock()
    monkeypatch.setattr(chat, "now_ms", clock)
    with tenant.services.store.write() as repo:
        agent = accounts.create_agent(
            repo,
            tenant.actor,
            AgentFields(
                name="John Doe",
                email=tenant.address("john"),
                picture_url="https://example.org/avatar.png",
                department="Support",
                groups=["Sales", "Support"],
            ),
        )
        back = accounts.create_agent(
            repo,
            tenant.actor,
            AgentFields(
                name="Jane Doe",
                email=tenant.address("jane"),
                department="Marketing",
                groups=["Marketing"],
                is_back_office=True,
            ),
        )
    return ImBoxChat(tenant, client, tenant.key(Scope.CHAT_READ), agent, back, clock)
