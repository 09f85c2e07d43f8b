"""Text that cannot be stored (NUL, unpaired surrogates) and keys with non-ASCII characters
are a clear 4xx in each dialect's own envelope, on both databases, and nothing is written.

Each case here was a 500 before http/input.py and core/shared/text.py (on PostgreSQL for
the NULs; on both for the surrogates and the keys)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.identity.records import CredentialKind
from frontdesk.services import Services
from tests.conftest import Tenant

JSON = {"Content-Type": "application/json"}


def _ticket(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    body = {"subject": "s", "message": {"body": "b"}, "requester_email": "jane@example.com"}
    response = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _counts(services: Services, tenant: Tenant) -> tuple[int, int]:
    with services.store.read() as uow:
        tickets = uow.tickets.count_tickets(tenant.id)
        keys = len(uow.credentials.list_credentials(tenant.id, CredentialKind.API_KEY))
    return tickets, keys


# Raw JSON, so that the escapes reach the server as a client would send them.
NATIVE_BODIES = [
    ("PUT", "/tickets/{id}/labels", '{"values": ["ok", "\\ud800"]}', "values[1]"),
    ("PUT", "/tickets/{id}/tags", '{"values": ["\\udfff"]}', "values[0]"),
    ("PUT", "/tickets/{id}/labels", '{"values": ["a\\u0000"]}', "values[0]"),
    (
        "POST",
        "/tickets",
        '{"subject": "s", "message": {"body": "b"}, "notes": "a\\u0000"}',
        "notes",
    ),
    (
        "POST",
        "/tickets",
        '{"subject": "s", "message": {"body": "b"}, "custom_fields": {"\\ud800": "x"}}',
        "custom_fields.<key>",
    ),
    (
        "POST",
        "/tickets",
        '{"subject": "s", "message": {"body": "b"}, "custom_fields": {"k\\u0000": "x"}}',
        "custom_fields.<key>",
    ),
    (
        "POST",
        "/tickets",
        '{"subject": "s", "message": {"body": "b"}, "requester_email": "j@example.com",'
        ' "requester_name": "J\\u0000"}',
        "requester_name",
    ),
    ("POST", "/api-keys", '{"name": "k\\u0000", "scopes": ["tickets:read"]}', "name"),
    (
        "POST",
        "/inboxes",
        '{"name": "n", "email": "x@example.com", "auto_reply": "\\u0000"}',
        "auto_reply",
    ),
    ("POST", "/agents", '{"name": "A\\u0000", "email": "a@example.com"}', "name"),
    ("POST", "/categories", '{"name": "\\ud83d"}', "name"),
    ("PATCH", "/account", '{"name": "x\\u0000"}', "name"),
]


@pytest.mark.parametrize(("method", "path", "raw", "field"), NATIVE_BODIES)
def test_native_bodies_with_unstorable_text_are_422(
    client: TestClient,
    services: Services,
    tenant: Tenant,
    method: str,
    path: str,
    raw: str,
    field: str,
) -> None:
    ticket = _ticket(client, tenant)
    before = _counts(services, tenant)
    response = client.request(
        method,
        "/api/v1" + path.format(id=ticket["id"]),
        content=raw,
        headers={**tenant.headers(), **JSON},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_text"
    assert response.json()["error"]["field"] == field
    assert _counts(services, tenant) == before
    fresh = client.get(f"/api/v1/tickets/{ticket['id']}", headers=tenant.headers()).json()
    assert fresh["labels"] == [] and fresh["tags"] == []


def test_a_valid_surrogate_pair_is_an_ordinary_character(
    client: TestClient, tenant: Tenant
) -> None:
    ticket = _ticket(client, tenant)
    response = client.put(
        f"/api/v1/tickets/{ticket['id']}/labels",
        content='{"values": ["\\ud83d\\ude00"]}',
        headers={**tenant.headers(), **JSON},
    )
    assert response.status_code == 200, response.text
    assert response.json()["labels"] == ["\U0001f600"]


def test_imbox_query_and_body_refuse_nul_and_surrogates(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    base = f"/message/listTickets/{tenant.admin_key}/{tenant.id}"
    response = client.get(base + "?label=a%00b")
    assert response.status_code == 400, response.text
    assert response.json() == {
        "result": "error",
        "message": "label contains a NUL character",
        "code": "invalid_text",
        "field": "label",
    }
    inbox = client.post(
        "/api/v1/inboxes",
        json={"name": "Support", "email": tenant.address("support")},
        headers=tenant.headers(),
    ).json()
    raw = (
        '{"fromEmail": "j@example.com", "toEmail": "' + inbox["email"] + '", "subject": "s",'
        ' "message": "m", "labels": ["\\udc00"]}'
    )
    response = client.post(
        f"/message/insertTicket/{tenant.admin_key}/{tenant.id}", content=raw, headers=JSON
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_text"
    assert response.json()["field"] == "labels[0]"
    assert _counts(services, tenant)[0] == 0


def test_inboxops_tags_and_search_refuse_nul_and_surrogates(
    client: TestClient, tenant: Tenant
) -> None:
    ticket = _ticket(client, tenant)
    workspace = tenant.account.public_id
    headers = {**tenant.headers(), "x-workspace-id": workspace, **JSON}
    base = f"/v1/workspaces/{workspace}/tickets"
    response = client.patch(
        f"{base}/{ticket['uuid']}", content='{"tags": ["\\ud800"]}', headers=headers
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert (
        body["statusCode"] == 400 and body["code"] == "invalid_text" and body["field"] == "tags[0]"
    )
    response = client.get(f"{base}?search=a%00", headers=headers)
    assert response.status_code == 400
    assert response.json()["field"] == "search"


@pytest.mark.parametrize("suffix", ["é", "\u00ff", "\u2603"])
def test_a_key_with_a_non_ascii_character_is_a_401_on_every_credential_path(
    client: TestClient, tenant: Tenant, suffix: str
) -> None:
    token = tenant.admin_key + suffix
    raw = token.encode("utf-8")
    native = client.get("/api/v1/account", headers={"Authorization": b"Bearer " + raw})
    assert native.status_code == 401, native.text
    assert native.json()["error"]["code"] == "invalid_credentials"
    workspace = tenant.account.public_id
    ops = client.get(
        f"/v1/workspaces/{workspace}/tickets",
        headers={"Authorization": b"Bearer " + raw, "x-workspace-id": workspace},
    )
    assert ops.status_code == 401, ops.text
    imbox = client.get(f"/message/listTickets/{quote(token)}/{tenant.id}")
    assert imbox.status_code == 401, imbox.text
    assert imbox.json()["code"] == "invalid_credentials"
    v3 = client.get("/v3/tickets", headers={"PRIVATE-TOKEN": b"fdc_" + raw[4:]})
    assert v3.status_code == 401, v3.text
    assert v3.json()["error"] == "invalid_credentials"
