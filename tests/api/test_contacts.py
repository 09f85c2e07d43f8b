"""Contacts in the native API: search, update, merge, their tickets and their chats."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk.core import chat
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant


def _contact(client: TestClient, tenant: Tenant, local: str, **extra: Any) -> dict[str, Any]:
    made = client.post(
        "/api/v1/contacts",
        json={"email": tenant.address(local), **extra},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    contact: dict[str, Any] = made.json()
    return contact


def _ticket(client: TestClient, tenant: Tenant, email: str, subject: str) -> dict[str, Any]:
    made = client.post(
        "/api/v1/tickets",
        json={"subject": subject, "message": {"body": "hello"}, "requester_email": email},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()
    return ticket


def _chat(tenant: Tenant, text: str) -> str:
    with tenant.services.store.write() as uow:
        opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), "https://example.org/")
        public_id = opened.conversation.public_id
        visitor = chat.visitor_actor(opened.conversation)
        chat.post_visitor_message(uow, visitor, public_id, text)
    return public_id


def test_search_finds_by_part_of_address_name_or_company(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ann = _contact(client, tenant, "ann", name="Ann Lee", company="Acme_Corp")
    bob = _contact(client, tenant, "bob", name="Bob", company="Zeta")
    _contact(client, other_tenant, "ann", name="Ann Other")

    def found(q: str) -> list[int]:
        got = client.get("/api/v1/contacts", params={"q": q}, headers=tenant.headers())
        assert got.status_code == 200, got.text
        return [row["id"] for row in got.json()]

    assert found("ANN-") == [ann["id"]]
    assert found("lee") == [ann["id"]]
    assert found("zeta") == [bob["id"]]
    assert found("e_c") == [ann["id"]]  # "_" is a character, not a wildcard
    assert found("%") == []
    assert found("@example.com") == [ann["id"], bob["id"]]
    blank = client.get("/api/v1/contacts", params={"q": " "}, headers=tenant.headers())
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "invalid_search"


def test_update_changes_the_fields_given_and_refuses_a_taken_address(
    client: TestClient, tenant: Tenant
) -> None:
    ann = _contact(client, tenant, "ann", name="Ann", phone="123")
    _contact(client, tenant, "bob")
    path = f"/api/v1/contacts/{ann['id']}"
    changed = client.patch(
        path, json={"name": "Ann Lee", "phone": "", "company": "Acme"}, headers=tenant.headers()
    )
    assert changed.status_code == 200, changed.text
    got = client.get(path, headers=tenant.headers()).json()
    assert (got["name"], got["phone"], got["company"]) == ("Ann Lee", None, "Acme")
    assert got["email"] == ann["email"]
    taken = client.patch(path, json={"email": tenant.address("bob")}, headers=tenant.headers())
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "contact_exists"
    bad = client.patch(path, json={"email": "not an address"}, headers=tenant.headers())
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"
    assert client.get(path, headers=tenant.headers()).json()["email"] == ann["email"]
    moved = client.patch(path, json={"email": tenant.address("ann2")}, headers=tenant.headers())
    assert moved.status_code == 200 and moved.json()["email"] == tenant.address("ann2")


def test_merge_moves_tickets_chats_and_tokens_and_removes_the_source(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    keep = _contact(client, tenant, "ann")
    dupe = _contact(client, tenant, "ann.work", name="Ann", phone="555")
    theirs = _ticket(client, tenant, dupe["email"], "From work")
    mine = _ticket(client, tenant, keep["email"], "From home")
    conversation = _chat(tenant, "hello from work")
    linked = client.put(
        f"/api/v1/chat/conversations/{conversation}/contact",
        json={"contact_id": dupe["id"]},
        headers=h,
    )
    assert linked.status_code == 200, linked.text
    token = client.post(
        "/api/v1/customer-tokens", json={"contact_id": dupe["id"]}, headers=h
    ).json()["token"]

    merged = client.post(
        f"/api/v1/contacts/{dupe['id']}/merge", json={"into_id": keep["id"]}, headers=h
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == keep["id"]
    assert (merged.json()["name"], merged.json()["phone"]) == ("Ann", "555")  # blanks filled
    assert client.get(f"/api/v1/contacts/{dupe['id']}", headers=h).status_code == 404
    tickets = client.get(f"/api/v1/contacts/{keep['id']}/tickets", headers=h).json()
    assert [t["id"] for t in tickets["tickets"]] == [theirs["id"], mine["id"]]
    assert all(t["requester_id"] == keep["id"] for t in tickets["tickets"])
    chats = client.get(f"/api/v1/contacts/{keep['id']}/chats", headers=h).json()
    assert [c["conversation_id"] for c in chats] == [conversation]
    # The customer token now reads the merged contact's tickets (v3 portal).
    portal = client.get("/v3/tickets", headers={"PRIVATE-TOKEN": token})
    assert portal.status_code == 200, portal.text
    assert {t["id"] for t in portal.json()} == {theirs["id"], mine["id"]}


@pytest.mark.parametrize(
    ("into", "status", "code"), [("self", 422, "same_contact"), ("missing", 404, None)]
)
def test_a_refused_merge_changes_nothing(
    client: TestClient, tenant: Tenant, into: str, status: int, code: str | None
) -> None:
    ann = _contact(client, tenant, "ann")
    ticket = _ticket(client, tenant, ann["email"], "Hi")
    target = ann["id"] if into == "self" else 2**31 - 1
    refused = client.post(
        f"/api/v1/contacts/{ann['id']}/merge", json={"into_id": target}, headers=tenant.headers()
    )
    assert refused.status_code == status, refused.text
    if code:
        assert refused.json()["error"]["code"] == code
    got = client.get(f"/api/v1/tickets/{ticket['id']}", headers=tenant.headers()).json()
    assert got["requester_id"] == ann["id"]


def test_another_accounts_contact_is_404_everywhere(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _contact(client, other_tenant, "zed")
    mine = _contact(client, tenant, "ann")
    h = tenant.headers()
    base = f"/api/v1/contacts/{theirs['id']}"
    assert client.patch(base, json={"name": "x"}, headers=h).status_code == 404
    assert client.get(f"{base}/tickets", headers=h).status_code == 404
    assert client.get(f"{base}/chats", headers=h).status_code == 404
    assert client.get(f"{base}/export", headers=h).status_code == 404
    assert client.post(f"{base}/erase", json={"mode": "delete"}, headers=h).status_code == 404
    into_theirs = client.post(
        f"/api/v1/contacts/{mine['id']}/merge", json={"into_id": theirs["id"]}, headers=h
    )
    assert into_theirs.status_code == 404
    conversation = _chat(tenant, "hi")
    link = client.put(
        f"/api/v1/chat/conversations/{conversation}/contact",
        json={"contact_id": theirs["id"]},
        headers=h,
    )
    assert link.status_code == 404


def test_a_contacts_tickets_page_by_id(client: TestClient, tenant: Tenant) -> None:
    ann = _contact(client, tenant, "ann")
    made = [_ticket(client, tenant, ann["email"], f"T{n}")["id"] for n in range(5)]
    _ticket(client, tenant, tenant.address("bob"), "Not hers")
    path = f"/api/v1/contacts/{ann['id']}/tickets"
    first = client.get(path, params={"limit": 2}, headers=tenant.headers()).json()
    assert [t["id"] for t in first["tickets"]] == made[:2]
    seen = [t["id"] for t in first["tickets"]]
    after = first["next_after_id"]
    while after is not None:
        page = client.get(
            path, params={"limit": 2, "after_id": after}, headers=tenant.headers()
        ).json()
        seen += [t["id"] for t in page["tickets"]]
        after = page["next_after_id"]
    assert seen == made


def test_contact_endpoints_need_admin_and_linking_needs_chat_write(
    client: TestClient, tenant: Tenant
) -> None:
    ann = _contact(client, tenant, "ann")
    reader = tenant.headers(tenant.key(Scope.TICKETS_READ, Scope.CHAT_READ))
    for method, path in [
        ("get", f"/api/v1/contacts/{ann['id']}/tickets"),
        ("get", f"/api/v1/contacts/{ann['id']}/export"),
        ("post", f"/api/v1/contacts/{ann['id']}/erase"),
    ]:
        got = client.request(method, path, json={"mode": "delete"}, headers=reader)
        assert got.status_code == 403, path
    conversation = _chat(tenant, "hi")
    link = client.put(
        f"/api/v1/chat/conversations/{conversation}/contact",
        json={"contact_id": ann["id"]},
        headers=reader,
    )
    assert link.status_code == 403
    assert client.get(f"/api/v1/contacts/{ann['id']}", headers=tenant.headers()).status_code == 200
