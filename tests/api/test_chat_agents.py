"""Agents' chat status and limits in the native API, on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.core.chat import presence
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant


def test_the_team_with_status_and_an_admin_sets_a_limit(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        ada = accounts.create_agent(
            uow, tenant.actor, AgentFields(name="Ada", email=tenant.address("ada"))
        )
        presence.heartbeat(uow, agent_actor(ada), ada.id, "tab-00001", True)
    reader = tenant.headers(tenant.key(Scope.CHAT_READ))
    team = client.get("/api/v1/chat/agents", headers=reader)
    assert team.status_code == 200
    assert team.json() == [
        {"agent_id": ada.id, "name": "Ada", "status": "online", "chosen": "online",
         "chat_limit": None, "open_tabs": 1},
    ]  # fmt: skip
    url = f"/api/v1/chat/agents/{ada.id}/limit"
    assert client.put(url, json={"chat_limit": 2}, headers=reader).status_code == 403
    answer = client.put(url, json={"chat_limit": 2}, headers=tenant.headers())
    assert answer.status_code == 200 and answer.json()["chat_limit"] == 2
    for bad in (0, 101, "two"):
        refused = client.put(url, json={"chat_limit": bad}, headers=tenant.headers())
        assert refused.status_code in (400, 422), bad
    assert client.get("/api/v1/chat/agents", headers=reader).json()[0]["chat_limit"] == 2
    cleared = client.put(url, json={"chat_limit": None}, headers=tenant.headers())
    assert cleared.json()["chat_limit"] is None
    theirs = client.put(url, json={"chat_limit": 3}, headers=other_tenant.headers())
    assert theirs.status_code == 404
    assert client.get("/api/v1/chat/agents", headers=other_tenant.headers()).json() == []


def test_the_offer_time_over_the_api(client: TestClient, tenant: Tenant) -> None:
    reader = tenant.headers(tenant.key(Scope.CHAT_READ))
    assert client.get("/api/v1/chat/routing", headers=reader).json() == {"offer_seconds": 30}
    assert client.put("/api/v1/chat/routing", json={"offer_seconds": 20},
                      headers=reader).status_code == 403  # fmt: skip
    for bad in (4, 601):
        refused = client.put("/api/v1/chat/routing", json={"offer_seconds": bad},
                             headers=tenant.headers())  # fmt: skip
        assert refused.status_code in (400, 422)
    answer = client.put("/api/v1/chat/routing", json={"offer_seconds": 20},
                        headers=tenant.headers())  # fmt: skip
    assert answer.json() == {"offer_seconds": 20}
    assert client.get("/api/v1/chat/routing", headers=reader).json() == {"offer_seconds": 20}
