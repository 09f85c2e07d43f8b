"""Idempotency-Key on the native API's creates: replayed, refused when reused, and two
concurrent creates with one key make one ticket (real threads against a real server)."""

from __future__ import annotations

import threading
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from frontdesk.app import create_app
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.live import serving


def _body(tenant: Tenant, subject: str = "Order") -> dict[str, Any]:
    return {
        "subject": subject,
        "message": {"body": "Where is my order?"},
        "requester_email": tenant.address("ann"),
    }


def _count(services: Services, tenant: Tenant) -> int:
    with services.store.read() as uow:
        return int(
            uow.conn.execute(
                select(func.count())
                .select_from(t.tickets)
                .where(t.tickets.c.account_id == tenant.id)
            ).scalar_one()
        )


def test_the_same_key_and_body_answer_the_first_result(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/tickets", json=_body(tenant), headers=headers)
    again = client.post("/api/v1/tickets", json=_body(tenant), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(services, tenant) == 1
    # Another key, or none, creates again.
    other = client.post(
        "/api/v1/tickets", json=_body(tenant), headers={**headers, "Idempotency-Key": "order-2"}
    )
    assert other.json()["id"] != first.json()["id"]
    assert _count(services, tenant) == 2


def test_the_same_key_with_another_body_is_a_conflict(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "k"}
    assert client.post("/api/v1/tickets", json=_body(tenant), headers=headers).status_code == 201
    clash = client.post("/api/v1/tickets", json=_body(tenant, "Other"), headers=headers)
    assert clash.status_code == 409
    assert clash.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used for another request in the last 24 hours",
        "field": "Idempotency-Key",
    }
    assert _count(services, tenant) == 1


def test_keys_are_per_account_and_failures_free_the_key(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, services: Services
) -> None:
    mine = client.post(
        "/api/v1/tickets", json=_body(tenant), headers={**tenant.headers(), "Idempotency-Key": "x"}
    )
    theirs = client.post(
        "/api/v1/tickets",
        json=_body(other_tenant),
        headers={**other_tenant.headers(), "Idempotency-Key": "x"},
    )
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    headers = {**tenant.headers(), "Idempotency-Key": "retry-me"}
    bad = client.post(
        "/api/v1/tickets", json={**_body(tenant), "inbox_id": 999_999}, headers=headers
    )
    assert bad.status_code == 404
    fixed = client.post("/api/v1/tickets", json=_body(tenant, "Fixed"), headers=headers)
    assert fixed.status_code == 201 and fixed.json()["subject"] == "Fixed"
    refused = client.post(
        "/api/v1/tickets",
        json=_body(tenant),
        headers={**tenant.headers(), "Idempotency-Key": "a b"},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_idempotency_key"


def _race(address: str, tenant: Tenant, key: str) -> list[httpx2.Response]:
    """Two threads POST the same create with the same key at the same moment."""
    results: list[httpx2.Response] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def create() -> None:
        try:
            start.wait()
            results.append(
                httpx2.post(
                    f"http://{address}/api/v1/tickets",
                    json=_body(tenant, key),
                    headers={**tenant.headers(), "Idempotency-Key": key},
                    timeout=30,
                )
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
    assert errors == []
    return results


def test_two_concurrent_creates_with_one_key_make_one_ticket(
    services: Services, tenant: Tenant
) -> None:
    app = create_app(services=services)
    with serving(app) as address:
        for round_ in range(3):
            results = _race(address, tenant, f"race-{round_}")
            assert [r.status_code for r in results] == [201, 201]
            assert results[0].json()["id"] == results[1].json()["id"]
            replays = [r.headers.get("idempotent-replayed") for r in results]
            assert replays.count("true") == 1  # one ran, its twin got its answer
        assert _count(services, tenant) == 3
