"""A create answers with the ticket it built in memory: it must equal what a read returns."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant


def _setup(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    h = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes", json={"name": "Support", "email": tenant.address("help")}, headers=h
    ).json()
    agents = [
        client.post(
            "/api/v1/agents",
            json={"name": name, "email": tenant.address(name.lower())},
            headers=h,
        ).json()
        for name in ("Zoe", "Adam")
    ]
    client.post("/api/v1/custom-fields", json={"name": "Order"}, headers=h)
    upload = client.post(
        "/api/v1/attachments", files={"attachment": ("a.txt", b"hello", "text/plain")}, headers=h
    ).json()
    return {"inbox": inbox["id"], "agents": [a["id"] for a in agents], "upload": upload["id"]}


CASES: dict[str, Any] = {
    "plain": {},
    "one label": {"labels": [" bench "]},
    # more than one label or tag: the database's order, so read back
    "labels and tags": {"labels": ["zeta", "Alpha", "beta", "zeta"], "tags": ["b", "A"]},
    # assigning writes a log line into the thread
    "assignees": {"labels": ["x"], "assignee_ids": "agents"},
    "custom field": {"custom_fields": {"Order": "A-1"}},
    "attachment": {"attachment_ids": "upload"},
    "agent writes": {"agent_id": "agent", "tags": ["t"]},
}
# What each case's labels and tags become: trimmed and de-duplicated (order aside).
STORED_WORDS: dict[str, tuple[list[str], list[str]]] = {
    "one label": (["bench"], []),
    "labels and tags": (["Alpha", "beta", "zeta"], ["A", "b"]),
    "assignees": (["x"], []),
    "agent writes": ([], ["t"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_create_response_equals_a_fresh_read(client: TestClient, tenant: Tenant, case: str) -> None:
    made = _setup(client, tenant)
    extra = dict(CASES[case])
    message: dict[str, Any] = {"body": "Hello, the widget times out."}
    if extra.pop("attachment_ids", None):
        message["attachment_ids"] = [made["upload"]]
    if extra.pop("agent_id", None):
        message["agent_id"] = made["agents"][0]
    if extra.get("assignee_ids") == "agents":
        extra["assignee_ids"] = [*made["agents"], made["agents"][0]]
    body = {
        "subject": f"Create {case}",
        "requester_email": tenant.address("customer"),
        "requester_name": "Cus Tomer",
        "inbox_id": made["inbox"],
        "message": message,
        **extra,
    }
    created = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/tickets/{created.json()['id']}", headers=tenant.headers())
    assert created.json() == read.json()
    stored = read.json()
    sender = "zoe" if case == "agent writes" else "customer"
    assert stored["messages"][0]["from_email"] == tenant.address(sender)
    labels, tags = STORED_WORDS.get(case, ([], []))
    assert (sorted(stored["labels"]), sorted(stored["tags"])) == (labels, tags)


def test_appending_to_the_open_ticket_renders_the_whole_thread(
    client: TestClient, tenant: Tenant
) -> None:
    body = {
        "subject": "First",
        "requester_email": tenant.address("again"),
        "message": {"body": "One"},
        "append_to_open": True,
    }
    first = client.post("/api/v1/tickets", json=body, headers=tenant.headers()).json()
    body["message"] = {"body": "Two"}
    second = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert second.status_code == 201 and second.json()["id"] == first["id"]
    assert [m["body"] for m in second.json()["messages"]] == ["One", "Two"]
    read = client.get(f"/api/v1/tickets/{first['id']}", headers=tenant.headers())
    assert second.json() == read.json()
