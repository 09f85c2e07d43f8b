"""Every field of a native ticket and its messages is the stored value, read back over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from frontdesk.storage import tables as t
from tests.conftest import Tenant


def _made(client: TestClient, tenant: Tenant, path: str, body: dict[str, Any]) -> int:
    response = client.post(f"/api/v1/{path}", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_tickets_links_and_its_messages_senders_are_shown(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    inbox_id = _made(client, tenant, "inboxes", {"name": "Desk", "email": tenant.address("desk")})
    category_id = _made(client, tenant, "categories", {"name": "Billing"})
    department_id = _made(client, tenant, "departments", {"name": "Finance"})
    agent_id = _made(client, tenant, "agents", {"name": "Ola", "email": tenant.address("ola")})
    file_id = client.post(
        "/api/v1/attachments", files={"attachment": ("a.txt", b"hello")}, headers=h
    ).json()["id"]
    ticket_id = _made(
        client,
        tenant,
        "tickets",
        {
            "subject": "Invoice",
            "requester_email": tenant.address("cust"),
            "requester_name": "Cust Omer",
            "inbox_id": inbox_id,
            "category_id": category_id,
            "department_id": department_id,
            "message": {"body": "Where is it?", "from_name": "Cust Omer"},
        },
    )
    answered = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": "Here", "agent_id": agent_id, "attachment_ids": [file_id]},
        headers=h,
    )
    assert answered.status_code == 201, answered.text
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=h).json()
    assert (shown["inbox_id"], shown["category_id"], shown["department_id"]) == (
        inbox_id,
        category_id,
        department_id,
    )
    assert shown["merged_into_id"] is None
    asked, answer = shown["messages"]
    assert shown["requester_id"] is not None and asked["contact_id"] == shown["requester_id"]
    assert (asked["agent_id"], asked["from_name"]) == (None, "Cust Omer")
    assert (answer["agent_id"], answer["contact_id"]) == (agent_id, None)
    (carried,) = answer["attachments"]
    assert carried["url"] == f"http://frontdesk.test/api/v1/attachments/{file_id}"


def test_a_merged_ticket_names_the_ticket_it_went_into(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    same = {"requester_email": tenant.address("one"), "message": {"body": "Hi"}}
    source = _made(client, tenant, "tickets", {"subject": "First", **same})
    target = _made(client, tenant, "tickets", {"subject": "Second", **same})
    merged = client.post(f"/api/v1/tickets/{source}/merge", json={"target_id": target}, headers=h)
    assert merged.status_code == 200, merged.text
    assert client.get(f"/api/v1/tickets/{source}", headers=h).json()["merged_into_id"] == target


def test_archive_and_the_customers_reply_and_read_times_are_shown(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    ticket_id = _made(
        client,
        tenant,
        "tickets",
        {"subject": "Times", "requester_email": tenant.address("t"), "message": {"body": "Hi"}},
    )
    opened = client.get(f"/api/v1/tickets/{ticket_id}", headers=h).json()
    assert opened["client_last_replied"] == opened["created"]  # the customer wrote first
    assert (opened["client_last_read"], opened["archived_at"]) == (None, None)
    read = update(t.tickets).where(t.tickets.c.id == ticket_id).values(client_last_read=4321)
    with tenant.services.store.engine.begin() as conn:  # as the customer portal would leave it
        conn.execute(read)
    archived = client.post(f"/api/v1/tickets/{ticket_id}/archive", headers=h)
    assert archived.status_code == 200, archived.text
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=h).json()
    assert shown["client_last_read"] == 4321
    assert shown["archived_at"] is not None and shown["archived_at"] >= opened["created"]
