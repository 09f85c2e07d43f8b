"""Idempotency-Key on the native API's creates: replayed, refused when reused, and two
concurrent creates with one key make one ticket (real threads against a real server)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from frontdesk.app import create_app
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from tests.automation.conftest import make_worker
from tests.conftest import Tenant
from tests.live import serving
from tests.multipart import form


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


def test_expired_keys_are_forgotten_by_the_sweep(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "old"}
    assert client.post("/api/v1/tickets", json=_body(tenant), headers=headers).status_code == 201
    ik = t.idempotency_keys
    with services.store.write() as uow:
        uow.conn.execute(
            ik.update().where(ik.c.account_id == tenant.id, ik.c.key == "old").values(expires=1)
        )
    worker = make_worker(services)
    try:
        assert worker.sweep() >= 1
    finally:
        worker.stop()
    with services.store.read() as uow:
        left = uow.conn.execute(select(ik.c.id).where(ik.c.account_id == tenant.id)).all()
    assert left == []
    # Past its window, the key is the client's to use for another request.
    reused = client.post("/api/v1/tickets", json=_body(tenant, "Later"), headers=headers)
    assert reused.status_code == 201 and "idempotent-replayed" not in reused.headers


def test_a_locked_database_is_a_503_for_a_keyed_create_and_reserves_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "busy.db"
    own = build_services(
        Settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{database}",
            sqlite_busy_timeout_ms=300,
        )
    )
    with own.store.write() as uow:
        account = accounts.create_account(uow, "Busy")
        actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
        key = credentials.issue_api_key(uow, actor, "admin", ALL_SCOPES).token
    body = {"subject": "Hi", "message": {"body": "Hello"}, "requester_email": "a@example.org"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "busy"}
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        with serving(create_app(services=own)) as host:
            holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding on
            refused = httpx2.post(f"http://{host}/api/v1/tickets", json=body, headers=headers)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "database_unavailable"
            holder.execute("ROLLBACK")
            made = httpx2.post(f"http://{host}/api/v1/tickets", json=body, headers=headers)
            assert made.status_code == 201, made.text
            assert "idempotent-replayed" not in made.headers
    finally:
        holder.close()
        own.close()


def _attachment_rows(services: Services, tenant: Tenant) -> int:
    with services.store.read() as uow:
        return int(
            uow.conn.execute(
                select(func.count())
                .select_from(t.attachments)
                .where(t.attachments.c.account_id == tenant.id)
            ).scalar_one()
        )


def _upload(
    client: TestClient, tenant: Tenant, boundary: str, data: bytes, key: str = "file-1"
) -> httpx2.Response:
    body, headers = form(boundary, "attachment", "notes.txt", data)
    return client.post(
        "/api/v1/attachments",
        content=body,
        headers={**tenant.headers(), **headers, "Idempotency-Key": key},
    )


def test_an_upload_retried_with_its_key_is_one_attachment_whatever_the_boundary(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    first = _upload(client, tenant, "first-try", b"hello, file")
    again = _upload(client, tenant, "second-try", b"hello, file")
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _attachment_rows(services, tenant) == 1
    clash = _upload(client, tenant, "third-try", b"another file")
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "idempotency_key_reused"
    # A different field value is another request too, not only different file bytes.
    body, headers = form("fourth", "attachment", "notes.txt", b"hello, file", ticket_id="1")
    moved = client.post(
        "/api/v1/attachments",
        content=body,
        headers={**tenant.headers(), **headers, "Idempotency-Key": "file-1"},
    )
    assert moved.status_code == 409
    assert _attachment_rows(services, tenant) == 1


def test_a_keyed_upload_spooled_to_disk_arrives_whole_and_the_limit_still_holds(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # Over the JSON limit (64 KiB here) and over the in-memory spool: the upload limit
    # (256 KiB here) is the one that applies, and the file arrives byte for byte.
    data = bytes(range(256)) * 800  # 200 KiB
    made = _upload(client, tenant, "big", data, key="big")
    assert made.status_code == 201, made.text
    attachment_id = made.json()["id"]
    fetched = client.get(f"/api/v1/attachments/{attachment_id}", headers=tenant.headers())
    assert fetched.content == data
    over = _upload(client, tenant, "huge", data * 2, key="huge")
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "too_large"
    ik = t.idempotency_keys
    with services.store.read() as uow:
        keys = uow.conn.execute(
            select(ik.c.key).where(ik.c.account_id == tenant.id).order_by(ik.c.key)
        ).scalars()
        assert list(keys) == ["big"]  # the refused one reserved nothing
    assert _attachment_rows(services, tenant) == 1
