"""PATCH /api/v1/tickets/{id} (all or nothing) and DELETE /api/v1/tickets/{id} (with files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from frontdesk.storage import tables as t
from tests.conftest import Tenant


def _make(client: TestClient, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    message = extra.pop("message", {"body": "Where is my parcel?"})
    body = {"subject": "Parcel", "message": message, "requester_email": tenant.address("ann")}
    made = client.post("/api/v1/tickets", json={**body, **extra}, headers=tenant.headers())
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()
    return ticket


def _get(client: TestClient, tenant: Tenant, ticket_id: int) -> dict[str, Any]:
    got = client.get(f"/api/v1/tickets/{ticket_id}", headers=tenant.headers())
    assert got.status_code == 200, got.text
    ticket: dict[str, Any] = got.json()
    return ticket


@pytest.fixture
def setup(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    h = tenant.headers()
    agent = client.post(
        "/api/v1/agents", json={"name": "Bo", "email": tenant.address("bo")}, headers=h
    ).json()
    for name in ("Order no", "Region"):
        assert client.post("/api/v1/custom-fields", json={"name": name}, headers=h).is_success
    return {"agent": agent["id"], "ticket": _make(client, tenant, labels=["old"], tags=["t"])}


def test_one_patch_changes_every_field_named(
    client: TestClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    ticket = setup["ticket"]
    body = {
        "subject": "Parcel lost",
        "status": "on-hold",
        "status_reason": "waiting for the carrier",
        "priority": "high",
        "assignee_ids": [setup["agent"]],
        "labels": ["vip", "refund"],
        "tags": [],
        "custom_fields": {"Order no": "A-17", "Region": "north"},
        "notes": "Carrier ticket 991",
    }
    changed = client.patch(f"/api/v1/tickets/{ticket['id']}", json=body, headers=tenant.headers())
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == f'"{changed.json()["version"]}"'
    after = _get(client, tenant, ticket["id"])
    assert after["subject"] == "Parcel lost" and after["status"] == "on-hold"
    assert after["priority"] == "high" and after["assignee_ids"] == [setup["agent"]]
    assert after["labels"] == ["refund", "vip"] and after["tags"] == []
    assert after["custom_fields"] == {"Order no": "A-17", "Region": "north"}
    assert after["notes"] == "Carrier ticket 991"
    assert after["version"] > ticket["version"]
    assert any("waiting for the carrier" in m["body"] for m in after["messages"])
    # A null custom field clears it; fields not named stay as they were.
    cleared = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"custom_fields": {"Region": None}},
        headers=tenant.headers(),
    )
    assert cleared.status_code == 200
    after = _get(client, tenant, ticket["id"])
    assert after["custom_fields"] == {"Order no": "A-17"} and after["labels"] == ["refund", "vip"]


@pytest.mark.parametrize(
    ("bad", "status", "code"),
    [
        ({"custom_fields": {"No such field": "x"}}, 422, "unknown_field"),
        ({"assignee_ids": [2**31 - 1]}, 404, None),
        ({"status": "closed", "force": True, "labels": ["x" * 201]}, 422, None),
        ({"force": True}, 422, "invalid"),
        ({"priority": "meh"}, 422, "invalid"),
        ({"colour": "red"}, 422, None),
    ],
)
def test_a_refused_patch_writes_nothing(
    client: TestClient,
    tenant: Tenant,
    setup: dict[str, Any],
    bad: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    ticket = setup["ticket"]
    before = _get(client, tenant, ticket["id"])
    body = {"labels": ["changed"], "priority": "urgent", "subject": "Changed", **bad}
    refused = client.patch(f"/api/v1/tickets/{ticket['id']}", json=body, headers=tenant.headers())
    assert refused.status_code == status, refused.text
    if code:
        assert refused.json()["error"]["code"] == code
    assert _get(client, tenant, ticket["id"]) == before


def test_patch_honours_if_match(client: TestClient, tenant: Tenant, setup: dict[str, Any]) -> None:
    ticket = setup["ticket"]
    path = f"/api/v1/tickets/{ticket['id']}"
    stale = {**tenant.headers(), "If-Match": f'"{ticket["version"]}"'}
    assert client.patch(path, json={"priority": "low"}, headers=stale).status_code == 200
    again = client.patch(path, json={"priority": "urgent"}, headers=stale)
    assert again.status_code == 412 and again.json()["error"]["code"] == "version_mismatch"
    assert _get(client, tenant, ticket["id"])["priority"] == "low"


def test_another_accounts_ticket_is_404_for_patch_and_delete(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, setup: dict[str, Any]
) -> None:
    path = f"/api/v1/tickets/{setup['ticket']['id']}"
    assert (
        client.patch(path, json={"priority": "low"}, headers=other_tenant.headers()).status_code
        == 404
    )
    assert client.delete(path, headers=other_tenant.headers()).status_code == 404
    assert _get(client, tenant, setup["ticket"]["id"])["priority"] == "normal"


def _upload(client: TestClient, tenant: Tenant, data: bytes) -> dict[str, Any]:
    sent = client.post(
        "/api/v1/attachments", files={"attachment": ("f.txt", data)}, headers=tenant.headers()
    )
    assert sent.status_code == 201, sent.text
    uploaded: dict[str, Any] = sent.json()
    return uploaded


def _age_files(root: Path) -> None:
    """Stored a minute ago: a file stored again during the deletion is left to the sweep."""
    for path in root.glob("??/??/*"):
        stamp = path.stat().st_mtime - 60
        os.utime(path, (stamp, stamp))


def _count(tenant: Tenant, table: Any, **where: Any) -> int:
    with tenant.services.store.read() as uow:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        return int(uow.conn.execute(query).scalar_one())


def test_delete_removes_the_ticket_its_rows_and_the_files_only_it_used(
    client: TestClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    h = tenant.headers()
    own = os.urandom(64)
    shared = os.urandom(64)
    files = [_upload(client, tenant, own)["id"], _upload(client, tenant, shared)["id"]]
    doomed = _make(
        client, tenant, message={"body": "zanzibar parcel", "attachment_ids": files},
        labels=["vip"], assignee_ids=[setup["agent"]],
    )  # fmt: skip
    keeper = _make(
        client,
        tenant,
        message={"body": "other", "attachment_ids": [_upload(client, tenant, shared)["id"]]},
    )
    client.post(
        f"/api/v1/tickets/{keeper['id']}/merge", json={"target_id": doomed["id"]}, headers=h
    )
    root = tenant.services.blobs.root
    by_name = {p.name: p for p in root.glob("??/??/*")}
    own_path, shared_path = by_name[_sha(own)], by_name[_sha(shared)]
    _age_files(root)
    # Merged into it: the keeper's message moved there. Split it back out first.
    thread = _get(client, tenant, doomed["id"])
    moved = [m["id"] for m in thread["messages"] if m["body"] == "other"]
    split = client.post(
        f"/api/v1/tickets/{doomed['id']}/split", json={"message_ids": moved}, headers=h
    )
    assert split.status_code == 201, split.text
    survivor = split.json()["ticket"]["id"]

    gone = client.delete(f"/api/v1/tickets/{doomed['id']}", headers=h)
    assert gone.status_code == 204, gone.text
    assert client.get(f"/api/v1/tickets/{doomed['id']}", headers=h).status_code == 404
    assert client.delete(f"/api/v1/tickets/{doomed['id']}", headers=h).status_code == 404
    assert not own_path.exists()  # only the deleted ticket used it
    assert shared_path.exists()  # the split-off message still carries it
    assert _get(client, tenant, survivor)["messages"][0]["attachments"][0]["sha256"] == _sha(shared)
    for table in (t.messages, t.ticket_labels, t.ticket_assignees, t.attachments):
        assert _count(tenant, table, ticket_id=doomed["id"]) == 0
    listed = client.get("/api/v1/tickets", params={"q": "zanzibar"}, headers=h).json()
    assert listed["tickets"] == []
    with tenant.services.store.read() as uow:
        kinds = uow.conn.execute(
            select(t.events.c.kind, t.events.c.data).where(t.events.c.account_id == tenant.id)
        ).all()
    assert any(kind == "ticket.deleted" and str(doomed["id"]) in data for kind, data in kinds)


def test_delete_honours_if_match_and_a_refused_delete_keeps_everything(
    client: TestClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    ticket = setup["ticket"]
    client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"priority": "low"}, headers=tenant.headers()
    )
    stale = {**tenant.headers(), "If-Match": f'"{ticket["version"]}"'}
    refused = client.delete(f"/api/v1/tickets/{ticket['id']}", headers=stale)
    assert refused.status_code == 412
    assert _get(client, tenant, ticket["id"])["priority"] == "low"


def test_a_file_stored_again_during_the_deletion_is_left_to_the_sweep(
    client: TestClient, tenant: Tenant
) -> None:
    data = os.urandom(64)
    ticket = _make(
        client,
        tenant,
        message={"body": "x", "attachment_ids": [_upload(client, tenant, data)["id"]]},
    )
    path = next(p for p in tenant.services.blobs.root.glob("??/??/*") if p.name == _sha(data))
    # Not aged: as if another upload of the same bytes had just refreshed it.
    assert (
        client.delete(f"/api/v1/tickets/{ticket['id']}", headers=tenant.headers()).status_code
        == 204
    )
    assert path.exists()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
