"""ImBox chat fixtures: an account with agents, keys, and chats written at chosen times."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from frontdesk.core import chat
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.records import Scope
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

    def get(self, endpoint: str, *rest: object, **params: Any) -> httpx2.Response:
        return self.client.get(self.url(endpoint, *rest), params=params)

    def visitor(
        self, at: int, page: str = "https://example.org/", info: VisitorInfo | None = None
    ) -> str:
        self.clock.now = at
        with self.services.store.write() as uow:
            opened = chat.open_conversation(uow, self.tenant.id, info or VisitorInfo(), page)
        return opened.conversation.public_id

    def write(self, public_id: str, at: int, who: str, text: str = "") -> None:
        """who: visitor, agent, back (the other agent), join, close, rate:N, page:URL."""
        self.clock.now = at
        actor = self.tenant.actor
        with self.services.store.write() as uow:
            if who == "visitor":
                chat.post_visitor_message(uow, actor, public_id, text or "question")
            elif who in ("agent", "back"):
                agent = self.agent if who == "agent" else self.back_office
                chat.agent_reply(uow, actor, public_id, agent.id, text or "answer")
            elif who == "join":
                chat.join(uow, actor, public_id, self.agent.id)
            elif who == "close":
                chat.close(uow, actor, public_id, self.agent.id)
            elif who.startswith("rate:"):
                chat.rate(uow, actor, public_id, int(who[5:]))
            elif who.startswith("page:"):
                chat.visit(uow, actor, public_id, who[5:], kind="pageChange")
            else:
                raise ValueError(who)


@pytest.fixture
def imchat(tenant: Tenant, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> ImBoxChat:
    clock = Clock()
    # The chat area's clock: every module of core.chat that reads the time.
    for info in pkgutil.iter_modules(chat.__path__):
        module = importlib.import_module(f"{chat.__name__}.{info.name}")
        if hasattr(module, "now_ms"):
            monkeypatch.setattr(module, "now_ms", clock)
    with tenant.services.store.write() as uow:
        agent = accounts.create_agent(
            uow,
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
            uow,
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
