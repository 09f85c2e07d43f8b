"""A key of account A sees nothing of account B; a key does only what its scopes allow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _objects_of(client: TestClient, owner: Tenant) -> dict[str, int]:
    h = owner.headers()
    inbox = client.post(
        "/api/v1/inboxes", json={"name": "I", "email": owner.address("in")}, headers=h
    ).json()
    agent = client.post(
        "/api/v1/agents", json={"name": "A", "email": owner.address("a")}, headers=h
    ).json()
    category = client.post("/api/v1/categories", json={"name": "C"}, headers=h).json()
    department = client.post("/api/v1/departments", json={"name": "D"}, headers=h).json()
    field = client.post("/api/v1/custom-fields", json={"name": "F"}, headers=h).json()
    contact = client.post("/api/v1/contacts", json={"email": owner.address("c")}, headers=h).json()
    key = client.post("/api/v1/api-keys", json={"scopes": ["admin"]}, headers=h).json()
    token = client.post(
        "/api/v1/customer-tokens", json={"contact_id": contact["id"]}, headers=h
    ).json()
    ticket = client.post(
        "/api/v1/tickets", json={"subject": "s", "message": {"body": "b"}}, headers=h
    ).json()
    upload = client.post(
        "/api/v1/attachments", files={"attachment": ("a.png", PNG)}, headers=h
    ).json()
    return {
        "inbox": inbox["id"],
        "agent": agent["id"],
        "category": category["id"],
        "department": department["id"],
        "custom_field": field["id"],
        "contact": contact["id"],
        "api_key": key["id"],
        "token": token["id"],
        "ticket": ticket["id"],
        "message": ticket["messages"][0]["id"],
        "attachment": upload["id"],
    }


def test_every_object_of_another_account_is_a_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    b = _objects_of(client, other_tenant)
    mine = client.post(
        "/api/v1/tickets", json={"subject": "s", "message": {"body": "b"}}, headers=tenant.headers()
    )
    my_ticket = mine.json()["id"]
    t = b["ticket"]
    attempts = [
        ("GET", f"/api/v1/inboxes/{b['inbox']}", None),
        ("PATCH", f"/api/v1/inboxes/{b['inbox']}", {"name": "x"}),
        ("DELETE", f"/api/v1/inboxes/{b['inbox']}", None),
        ("GET", f"/api/v1/agents/{b['agent']}", None),
        ("PATCH", f"/api/v1/agents/{b['agent']}", {"name": "x"}),
        ("DELETE", f"/api/v1/categories/{b['category']}", None),
        ("DELETE", f"/api/v1/departments/{b['department']}", None),
        ("DELETE", f"/api/v1/custom-fields/{b['custom_field']}", None),
        ("GET", f"/api/v1/contacts/{b['contact']}", None),
        ("DELETE", f"/api/v1/api-keys/{b['api_key']}", None),
        ("DELETE", f"/api/v1/customer-tokens/{b['token']}", None),
        ("POST", "/api/v1/customer-tokens", {"contact_id": b["contact"]}),
        ("GET", f"/api/v1/tickets/{t}", None),
        ("POST", f"/api/v1/tickets/{t}/messages", {"body": "x"}),
        ("POST", f"/api/v1/tickets/{t}/status", {"status": "closed"}),
        ("PUT", f"/api/v1/tickets/{t}/labels", {"values": ["x"]}),
        ("PUT", f"/api/v1/tickets/{t}/tags", {"values": ["x"]}),
        ("PUT", f"/api/v1/tickets/{my_ticket}/assignees", {"agent_ids": [b["agent"]]}),
        ("POST", f"/api/v1/tickets/{t}/merge", {"target_id": my_ticket}),
        ("POST", f"/api/v1/tickets/{my_ticket}/merge", {"target_id": t}),
        ("POST", f"/api/v1/tickets/{t}/split", {"message_ids": [b["message"]]}),
        ("POST", f"/api/v1/tickets/{my_ticket}/split", {"message_ids": [b["message"]]}),
        ("POST", f"/api/v1/tickets/{t}/archive", None),
        ("POST", f"/api/v1/tickets/{t}/unarchive", None),
        ("GET", f"/api/v1/attachments/{b['attachment']}", None),
        (
            "POST",
            f"/api/v1/tickets/{my_ticket}/messages",
            {"body": "x", "attachment_ids": [b["attachment"]]},
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"subject": "s", "message": {"body": "b"}, "category_id": b["category"]},
        ),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, json=body, headers=tenant.headers())
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.json()["error"]["code"].endswith("not_found")
    # And B's objects are untouched.
    ticket = client.get(f"/api/v1/tickets/{t}", headers=other_tenant.headers()).json()
    assert ticket["status"] == "new" and ticket["labels"] == [] and len(ticket["messages"]) == 1
    assert (
        client.get(f"/api/v1/inboxes/{b['inbox']}", headers=other_tenant.headers()).json()["name"]
        == "I"
    )


@pytest.mark.parametrize(
    ("scopes", "method", "path", "body", "allowed"),
    [
        (
            (Scope.TICKETS_READ,),
            "POST",
            "/api/v1/tickets",
            {"subject": "s", "message": {"body": "b"}},
            False,
        ),
        (
            (Scope.TICKETS_WRITE,),
            "POST",
            "/api/v1/tickets",
            {"subject": "s", "message": {"body": "b"}},
            True,
        ),
        ((Scope.TICKETS_READ,), "GET", "/api/v1/agents", None, False),
        ((Scope.CHAT_READ, Scope.CHAT_WRITE), "GET", "/api/v1/tickets/1", None, False),
        ((Scope.TICKETS_READ,), "POST", "/api/v1/api-keys", {"scopes": ["admin"]}, False),
        ((Scope.ADMIN,), "GET", "/api/v1/agents", None, True),
    ],
)
def test_scopes(
    client: TestClient,
    tenant: Tenant,
    scopes: tuple[Scope, ...],
    method: str,
    path: str,
    body: object,
    allowed: bool,
) -> None:
    response = client.request(method, path, json=body, headers=tenant.headers(tenant.key(*scopes)))
    if allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "missing_scope"


def test_read_key_writes_nothing(client: TestClient, tenant: Tenant) -> None:
    reader = tenant.headers(tenant.key(Scope.TICKETS_READ))
    made = client.post(
        "/api/v1/tickets", json={"subject": "s", "message": {"body": "b"}}, headers=tenant.headers()
    )
    ticket_id = made.json()["id"]
    assert client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": "closed"}, headers=reader
    ).status_code == (403)
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=reader).json()["status"] == "new"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer fdk_nope"},
    ],
)
def test_missing_or_malformed_credentials_are_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/agents", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("invalid_credentials", "unauthenticated")
