"""Bad input gets a clear 4xx in the native envelope: never a 500, never half-written data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from frontdesk.services import Services
from tests.conftest import Tenant


def _error(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    return body["error"]  # type: ignore[no-any-return]


def _ticket_count(services: Services, tenant: Tenant) -> int:
    with services.store.read() as uow:
        return uow.tickets.count_tickets(tenant.id)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"subject": 5, "message": {"body": "b"}}, 422, "invalid"),
        ({"subject": "s", "message": {"body": ["b"]}}, 422, "invalid"),
        ({"subject": "s", "message": {"body": "b"}, "priority": "extreme"}, 422, "invalid"),
        ({"subject": "s", "message": {"body": "b"}, "colour": "red"}, 422, "invalid"),
        ({"subject": "s", "message": {"body": "b", "unknown": 1}}, 422, "invalid"),
        ({"subject": "", "message": {"body": "b"}}, 422, "invalid"),
        ({"subject": "s", "message": {"body": "   "}}, 422, "required"),
        (
            {"subject": "s", "message": {"body": "b"}, "requester_email": "not-an-address"},
            422,
            "invalid_email",
        ),
        ({"subject": "s", "message": {"body": "b"}, "inbox_id": 2**40}, 422, "invalid"),
        (
            {"subject": "s", "message": {"body": "b"}, "inbox_id": 2_000_000_000},
            404,
            "inbox_not_found",
        ),
        ({"subject": "s\x00", "message": {"body": "b"}}, 422, "invalid_text"),
        ([1, 2, 3], 422, "invalid"),
    ],
)
def test_wrong_values_are_refused_and_nothing_is_written(
    client: TestClient, services: Services, tenant: Tenant, body: object, status: int, code: str
) -> None:
    response = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert response.status_code == status, response.text
    assert _error(response)["code"] == code
    assert _ticket_count(services, tenant) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"subject": "s"',
        b"not json",
        b"",
        b'{"subject": "\xff\xfe", "message": {"body": "b"}}',
        b"\xef\xbb",
    ],
)
def test_malformed_json_and_invalid_utf8_are_400(
    client: TestClient, services: Services, tenant: Tenant, raw: bytes
) -> None:
    headers = {**tenant.headers(), "Content-Type": "application/json"}
    response = client.post("/api/v1/tickets", content=raw, headers=headers)
    assert response.status_code in (400, 422), response.text
    if raw:
        assert response.status_code == 400
    assert _error(response)["code"] in ("malformed_body", "bad_request", "invalid")
    assert _ticket_count(services, tenant) == 0


def test_oversize_body_declared_is_413(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    limit = services.settings.max_request_bytes
    body = b'{"subject": "s", "message": {"body": "' + b"x" * limit + b'"}}'
    response = client.post(
        "/api/v1/tickets",
        content=body,
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"
    assert _ticket_count(services, tenant) == 0


def test_oversize_body_streamed_without_length_is_413(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    limit = services.settings.max_request_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"subject": "s", "message": {"body": "'
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096
        yield b'"}}'

    response = client.post(
        "/api/v1/tickets",
        content=chunks(),
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _ticket_count(services, tenant) == 0


def test_oversize_and_empty_uploads(client: TestClient, services: Services, tenant: Tenant) -> None:
    limit = services.settings.max_attachment_bytes
    too_big = client.post(
        "/api/v1/attachments",
        files={"attachment": ("big.bin", b"x" * (limit + 1))},
        headers=tenant.headers(),
    )
    assert too_big.status_code == 413 and _error(too_big)["code"] in ("file_too_large", "too_large")
    empty = client.post(
        "/api/v1/attachments", files={"attachment": ("e.txt", b"")}, headers=tenant.headers()
    )
    assert empty.status_code == 422 and _error(empty)["code"] == "empty_file"
    missing = client.post("/api/v1/attachments", data={"ticket_id": "1"}, headers=tenant.headers())
    assert missing.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets/abc"),
        ("GET", "/api/v1/tickets/0"),
        ("GET", "/api/v1/tickets/-5"),
        ("GET", "/api/v1/tickets/99999999999999999999999"),
        ("GET", "/api/v1/agents/2147483648"),
        ("DELETE", "/api/v1/api-keys/1e3"),
    ],
)
def test_malformed_path_ids_are_422(
    client: TestClient, tenant: Tenant, method: str, path: str
) -> None:
    response = client.request(method, path, headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert _error(response)["code"] == "invalid"


def test_unknown_route_and_method_use_the_envelope(client: TestClient, tenant: Tenant) -> None:
    missing = client.get("/api/v1/nothing-here", headers=tenant.headers())
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    wrong = client.delete("/api/v1/account", headers=tenant.headers())
    assert wrong.status_code == 405 and _error(wrong)["code"] == "method_not_allowed"


def test_download_headers_are_safe(client: TestClient, tenant: Tenant) -> None:
    html = b"<html><script>alert(1)</script></html>"
    made = client.post(
        "/api/v1/attachments",
        files={"attachment": ("../../evil.html", html, "text/html")},
        headers=tenant.headers(),
    ).json()
    assert made["name"] == "evil.html" and made["content_type"] == "text/plain"
    got = client.get(f"/api/v1/attachments/{made['id']}", headers=tenant.headers())
    assert got.content == html
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-type"].startswith("text/plain")


def test_an_after_id_over_32_bits_is_a_422_not_a_database_error(
    client: TestClient, tenant: Tenant
) -> None:
    """Found by schemathesis: a 500 on PostgreSQL."""
    response = client.get("/api/v1/contacts?after_id=15839235222664274", headers=tenant.headers())
    assert response.status_code == 422, response.text
    assert _error(response)["field"] == "after_id"
