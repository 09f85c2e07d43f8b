"""The admin API (/api/v1) end to end over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from frontdesk.core.identity import business
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.images import png


def test_health_readiness_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "disk": "ok"}
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/agents" in schema["paths"] and "/api/v1/api-keys" in schema["paths"]


def test_account_settings(client: TestClient, tenant: Tenant) -> None:
    got = client.get("/api/v1/account", headers=tenant.headers()).json()
    assert got["id"] == tenant.id and got["public_id"].startswith("w")
    renamed = client.patch("/api/v1/account", json={"name": "Renamed AB"}, headers=tenant.headers())
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed AB"
    assert client.get("/api/v1/account", headers=tenant.headers()).json() == renamed.json()
    with tenant.services.store.read() as uow:
        stored = uow.accounts.get_account(tenant.id)
    assert stored is not None and stored.name == "Renamed AB"


def test_account_time_zone_language_and_logo_address(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    got = client.get("/api/v1/account", headers=h).json()
    assert (got["time_zone"], got["language"], got["logo_url"]) == ("", "", None)
    patched = client.patch(
        "/api/v1/account", json={"time_zone": "Asia/Tokyo", "language": "sv"}, headers=h
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Tenant A"  # kept
    assert (patched.json()["time_zone"], patched.json()["language"]) == ("Asia/Tokyo", "sv")
    for body, code in (({"time_zone": "Asia/Atlantis"}, "invalid_time_zone"),
                       ({"language": "fi", "name": "Not saved"}, "invalid_language")):  # fmt: skip
        refused = client.patch("/api/v1/account", json=body, headers=h)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    assert client.get("/api/v1/account", headers=h).json() == patched.json()
    with tenant.services.store.write() as uow:
        business.set_logo(uow, tenant.services.blobs, tenant.actor, png())
    logo_url = client.get("/api/v1/account", headers=h).json()["logo_url"]
    assert logo_url.startswith(f"/portal/{got['public_id']}/logo?v=")
    assert client.get(logo_url).content == png()


def test_an_inbox_signature_through_the_api(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    made = client.post(
        "/api/v1/inboxes", json={"name": "Help", "email": tenant.address("help")}, headers=h
    ).json()
    path = f"/api/v1/inboxes/{made['id']}"
    signed = client.patch(path, json={"signature": "Regards, {agent_name}"}, headers=h)
    assert signed.status_code == 200 and signed.json()["signature"] == "Regards, {agent_name}"
    refused = client.patch(path, json={"signature": "{team}", "name": "Renamed"}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_placeholder"
    listed = [i for i in client.get("/api/v1/inboxes", headers=h).json() if i["id"] == made["id"]]
    assert [(i["name"], i["signature"]) for i in listed] == [("Help", "Regards, {agent_name}")]


def test_agents_crud_with_inbox_access(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes", json={"name": "Support", "email": tenant.address("support")}, headers=h
    )
    assert inbox.status_code == 201
    created = client.post(
        "/api/v1/agents",
        json={
            "name": "Maja",
            "email": tenant.address("maja"),
            "groups": ["Sales", "Support"],
            "is_back_office": True,
            "inbox_ids": [inbox.json()["id"]],
            "password": "correct horse battery",
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["groups"] == ["Sales", "Support"] and agent["inbox_ids"] == [inbox.json()["id"]]
    assert "password" not in agent and "password_hash" not in agent
    patched = client.patch(
        f"/api/v1/agents/{agent['id']}", json={"department": "Support"}, headers=h
    )
    assert patched.json()["department"] == "Support" and patched.json()["name"] == "Maja"
    listed = client.get("/api/v1/agents", headers=h).json()
    assert [a["email"] for a in listed] == [agent["email"]]
    duplicate = client.post(
        "/api/v1/agents", json={"name": "Again", "email": agent["email"]}, headers=h
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "agent_exists"


def test_last_owner_cannot_be_demoted(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    owner = client.post(
        "/api/v1/agents",
        json={"name": "O", "email": tenant.address("o"), "role": "owner"},
        headers=h,
    ).json()
    refused = client.patch(f"/api/v1/agents/{owner['id']}", json={"role": "agent"}, headers=h)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "last_owner"


def test_inboxes_categories_departments_custom_fields(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes",
        json={"name": "Info", "email": tenant.address("info"), "auto_reply": "Thanks!"},
        headers=h,
    ).json()
    assert client.patch(
        f"/api/v1/inboxes/{inbox['id']}", json={"name": "Info desk"}, headers=h
    ).json()["name"] == ("Info desk")
    taken = client.post("/api/v1/inboxes", json={"name": "Dup", "email": inbox["email"]}, headers=h)
    assert taken.status_code == 409
    for path in ("categories", "departments", "custom-fields"):
        made = client.post(f"/api/v1/{path}", json={"name": "Billing"}, headers=h)
        assert made.status_code == 201
        assert (
            client.post(f"/api/v1/{path}", json={"name": "billing"}, headers=h).status_code == 409
        )
        assert [c["name"] for c in client.get(f"/api/v1/{path}", headers=h).json()] == ["Billing"]
        assert client.delete(f"/api/v1/{path}/{made.json()['id']}", headers=h).status_code == 204
        assert client.get(f"/api/v1/{path}", headers=h).json() == []
    assert client.delete(f"/api/v1/inboxes/{inbox['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/inboxes/{inbox['id']}", headers=h).status_code == 404


def test_category_in_use_cannot_be_deleted(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    category = client.post("/api/v1/categories", json={"name": "Bookings"}, headers=h).json()
    ticket = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "message": {"body": "b"}, "category_id": category["id"]},
        headers=h,
    )
    assert ticket.status_code == 201, ticket.text
    refused = client.delete(f"/api/v1/categories/{category['id']}", headers=h)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "category_in_use"


def test_api_keys_are_shown_once_listed_without_secret_and_revocable(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    made = client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["tickets:read"]}, headers=h
    )
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("fdk_") and made.json()["scopes"] == ["tickets:read"]
    listed = client.get("/api/v1/api-keys", headers=h).json()
    assert all("token" not in item for item in listed)
    assert token not in str(listed)
    assert client.get("/api/v1/tickets/1", headers=tenant.headers(token)).status_code == 404
    revoked = client.delete(f"/api/v1/api-keys/{made.json()['id']}", headers=h)
    assert revoked.json()["revoked"] is not None
    after = client.get("/api/v1/tickets/1", headers=tenant.headers(token))
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid_credentials"


def test_customer_tokens_for_contacts(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    contact = client.post(
        "/api/v1/contacts", json={"email": tenant.address("cust"), "name": "Cust"}, headers=h
    )
    assert contact.status_code == 201
    made = client.post(
        "/api/v1/customer-tokens", json={"contact_id": contact.json()["id"]}, headers=h
    )
    assert made.status_code == 201 and made.json()["token"].startswith("fdc_")
    assert made.json()["contact_id"] == contact.json()["id"]
    # A customer token is not an API key: it opens nothing here.
    assert (
        client.get("/api/v1/account", headers=tenant.headers(made.json()["token"])).status_code
        == 401
    )
    listed = client.get("/api/v1/customer-tokens", headers=h).json()
    assert [t["id"] for t in listed] == [made.json()["id"]]
    assert client.delete(f"/api/v1/customer-tokens/{made.json()['id']}", headers=h).json()[
        "revoked"
    ]
    missing = client.post("/api/v1/customer-tokens", json={"contact_id": 10**9}, headers=h)
    assert missing.status_code == 404


def test_last_used_is_stamped(client: TestClient, tenant: Tenant) -> None:
    token = tenant.key(Scope.ADMIN)
    client.get("/api/v1/account", headers=tenant.headers(token))
    listed = client.get("/api/v1/api-keys", headers=tenant.headers(token)).json()
    used = [k for k in listed if k["last_used"] is not None]
    assert len(used) >= 1


def test_a_key_mints_keys_and_customer_tokens_only_within_its_own_scopes(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    """An `admin` key used to mint keys of any scope (an admin-only key could make itself a
    tickets:write key); now a key grants at most what it holds."""
    admin_only = tenant.headers(tenant.key(Scope.ADMIN))
    before = _credentials(services, tenant)
    for scopes in (["tickets:write"], ["admin", "chat:read"], ["admin", "tickets:read"]):
        response = client.post(
            "/api/v1/api-keys", json={"name": "climb", "scopes": scopes}, headers=admin_only
        )
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "scope_not_held" and error["field"] == "scopes"
        assert scopes[-1] in error["message"]
    contact = client.post(
        "/api/v1/contacts", json={"email": "c@example.com"}, headers=admin_only
    ).json()
    token = client.post(
        "/api/v1/customer-tokens", json={"contact_id": contact["id"]}, headers=admin_only
    )
    assert token.status_code == 403 and token.json()["error"]["code"] == "scope_not_held"
    assert _credentials(services, tenant) == before
    # Within its scopes it still mints; a key with every scope mints anything.
    same = client.post(
        "/api/v1/api-keys", json={"name": "peer", "scopes": ["admin"]}, headers=admin_only
    )
    assert same.status_code == 201, same.text
    wide = client.post(
        "/api/v1/api-keys",
        json={"name": "all", "scopes": ["admin", "tickets:write", "chat:write"]},
        headers=tenant.headers(),
    )
    assert wide.status_code == 201
    assert sorted(wide.json()["scopes"]) == ["admin", "chat:write", "tickets:write"]


def _credentials(services: Services, tenant: Tenant) -> int:
    with services.store.read() as uow:
        return sum(
            len(uow.credentials.list_credentials(tenant.id, kind)) for kind in CredentialKind
        )


def test_a_contact_is_shown_with_every_field_it_was_given(
    client: TestClient, tenant: Tenant
) -> None:
    given = {
        "email": tenant.address("full"),
        "name": "Full Name",
        "phone": "+46 8 123",
        "company": "Acme AB",
        "external_id": "crm-42",
    }
    created = client.post("/api/v1/contacts", json=given, headers=tenant.headers())
    assert created.status_code == 201, created.text
    fetched = client.get(f"/api/v1/contacts/{created.json()['id']}", headers=tenant.headers())
    listed = client.get("/api/v1/contacts", headers=tenant.headers()).json()
    for shown in (
        created.json(),
        fetched.json(),
        *[c for c in listed if c["email"] == given["email"]],
    ):
        assert {key: shown[key] for key in given} == given
    assert len([c for c in listed if c["email"] == given["email"]]) == 1


def test_an_inbox_shows_its_auto_reply_and_an_agent_its_picture(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes",
        json={"name": "Sales", "email": tenant.address("sales"), "auto_reply": "Thanks!"},
        headers=h,
    )
    assert inbox.status_code == 201, inbox.text
    assert inbox.json()["auto_reply"] == "Thanks!"
    listed = client.get("/api/v1/inboxes", headers=h).json()
    assert [i["auto_reply"] for i in listed if i["id"] == inbox.json()["id"]] == ["Thanks!"]
    picture = "https://example.org/maja.png"
    agent = client.post(
        "/api/v1/agents",
        json={"name": "Maja", "email": tenant.address("maja"), "picture_url": picture},
        headers=h,
    )
    assert agent.status_code == 201, agent.text
    assert agent.json()["picture_url"] == picture
    assert agent.json()["last_active"] is None  # never signed in
    seen = update(t.agents).where(t.agents.c.id == agent.json()["id"]).values(last_active=1234)
    with tenant.services.store.engine.begin() as conn:  # as a sign-in would leave it
        conn.execute(seen)
    listed_agents = client.get("/api/v1/agents", headers=h).json()
    assert [a["last_active"] for a in listed_agents if a["id"] == agent.json()["id"]] == [1234]


def test_a_messages_attachment_names_its_message(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers()
    made = client.post(
        "/api/v1/attachments", files={"attachment": ("a.txt", b"hello")}, headers=h
    ).json()
    assert made["message_id"] is None
    ticket = client.post(
        "/api/v1/tickets",
        json={
            "subject": "With a file",
            "requester_email": tenant.address("cust"),
            "message": {"body": "See file", "attachment_ids": [made["id"]]},
        },
        headers=h,
    )
    assert ticket.status_code == 201, ticket.text
    shown = client.get(f"/api/v1/tickets/{ticket.json()['id']}", headers=h).json()
    (message,) = shown["messages"]
    (carried,) = message["attachments"]
    assert (carried["id"], carried["message_id"]) == (made["id"], message["id"])
