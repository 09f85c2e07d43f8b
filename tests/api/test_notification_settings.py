"""Agents' notification settings and notifications in the native API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def _agent(client: TestClient, tenant: Tenant, local: str) -> int:
    made = client.post(
        "/api/v1/agents",
        json={"name": local.title(), "email": tenant.address(local)},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    agent_id: int = made.json()["id"]
    return agent_id


def test_settings_default_then_change_and_read_back(client: TestClient, tenant: Tenant) -> None:
    bo = _agent(client, tenant, "bo")
    path = f"/api/v1/agents/{bo}/notification-settings"
    got = client.get(path, headers=tenant.headers())
    assert got.status_code == 200
    told = ["assigned", "chat_transfer", "customer_reply", "mail_failed", "mention", "rule",
            "sla_breach", "sla_warning"]  # fmt: skip
    assert got.json() == {
        "web": sorted([*told, "new_ticket"]),
        "email": told,  # a new ticket in every inbox would flood a busy team: off
        "delivery": "instant",
    }
    wanted = {"web": ["mention"], "email": [], "delivery": "daily"}
    assert client.put(path, json=wanted, headers=tenant.headers()).json() == wanted
    assert client.get(path, headers=tenant.headers()).json() == wanted
    bad = client.put(path, json={**wanted, "email": ["sla"]}, headers=tenant.headers())
    assert bad.status_code == 422
    assert client.get(path, headers=tenant.headers()).json() == wanted


def test_another_accounts_agent_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _agent(client, other_tenant, "zed")
    for path in ("notification-settings", "notifications"):
        got = client.get(f"/api/v1/agents/{theirs}/{path}", headers=tenant.headers())
        assert got.status_code == 404, path
    read = client.post(
        f"/api/v1/agents/{theirs}/notifications/read", json={}, headers=tenant.headers()
    )
    assert read.status_code == 404


def _ticket(client: TestClient, tenant: Tenant, subject: str, **extra: Any) -> int:
    made = client.post(
        "/api/v1/tickets",
        json={
            "subject": subject,
            "message": {"body": "x"},
            "requester_email": tenant.address("cust"),
            **extra,
        },
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    ticket_id: int = made.json()["id"]
    return ticket_id


def test_an_assignment_by_key_shows_under_the_bell_until_read(
    client: TestClient, tenant: Tenant
) -> None:
    bo = _agent(client, tenant, "bo")
    h = tenant.headers()
    only_assigned = {"web": ["assigned"], "email": [], "delivery": "instant"}
    client.put(f"/api/v1/agents/{bo}/notification-settings", json=only_assigned, headers=h)
    first = _ticket(client, tenant, "First", assignee_ids=[bo])
    second = _ticket(client, tenant, "Second")
    client.put(f"/api/v1/tickets/{second}/assignees", json={"agent_ids": [bo]}, headers=h)
    client.put(f"/api/v1/tickets/{second}/assignees", json={"agent_ids": [bo]}, headers=h)
    listed = client.get(f"/api/v1/agents/{bo}/notifications", headers=h).json()
    assert listed["unread"] == 2
    rows = listed["notifications"]
    assert [(r["kind"], r["ticket_id"], r["title"]) for r in rows] == [
        ("assigned", second, "Second"),
        ("assigned", first, "First"),
    ]  # the new ticket is not shown (web: assigned only); the same set again tells no one
    assert all(r["read_at"] is None and r["by_agent_id"] is None for r in rows)
    marked = client.post(
        f"/api/v1/agents/{bo}/notifications/read", json={"ids": [rows[1]["id"]]}, headers=h
    )
    assert marked.json() == {"marked": 1}
    after = client.get(f"/api/v1/agents/{bo}/notifications", headers=h).json()
    assert after["unread"] == 1 and after["notifications"][1]["read_at"] is not None
    everything = client.post(f"/api/v1/agents/{bo}/notifications/read", json={}, headers=h)
    assert everything.json() == {"marked": 1}
    assert client.get(f"/api/v1/agents/{bo}/notifications", headers=h).json()["unread"] == 0
