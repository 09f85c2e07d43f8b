"""Concurrent edits of one ticket through the native API: ETag, If-Match and locking.

The issue's reproduction: two label updates at once; on SQLite one label was silently
lost (both writers replaced the labels they had read), on PostgreSQL one request was a
500 (both inserted the same label row). Now every change locks the ticket, and a client
that sends the ETag it read as If-Match learns of a change it has not seen (412).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.live import serving


def _ticket(client: TestClient, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    body = {
        "subject": "Order",
        "message": {"body": "Where is my order?"},
        "requester_email": tenant.address("ann"),
        **extra,
    }
    made = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()
    assert made.headers["etag"] == f'"{ticket["version"]}"'
    return ticket


def _read(client: TestClient, tenant: Tenant, ticket_id: int) -> tuple[dict[str, Any], str]:
    got = client.get(f"/api/v1/tickets/{ticket_id}", headers=tenant.headers())
    assert got.status_code == 200
    return got.json(), got.headers["etag"]


def test_a_read_carries_the_version_as_its_etag(client: TestClient, tenant: Tenant) -> None:
    ticket = _ticket(client, tenant)
    body, tag = _read(client, tenant, ticket["id"])
    assert tag == f'"{body["version"]}"' and body["version"] == ticket["version"]
    changed = client.put(
        f"/api/v1/tickets/{ticket['id']}/tags", json={"values": ["x"]}, headers=tenant.headers()
    )
    assert changed.json()["version"] == body["version"] + 1
    assert changed.headers["etag"] == f'"{body["version"] + 1}"'
    assert _read(client, tenant, ticket["id"])[1] == changed.headers["etag"]


def test_two_clients_editing_labels_the_second_learns_of_the_first(
    client: TestClient, tenant: Tenant
) -> None:
    ticket = _ticket(client, tenant, labels=["vip"])
    path = f"/api/v1/tickets/{ticket['id']}/labels"
    seen_by_a = _read(client, tenant, ticket["id"])
    seen_by_b = _read(client, tenant, ticket["id"])
    # Each adds a label to what it read, as a client that replaces the set must.
    for_a = {"values": [*seen_by_a[0]["labels"], "refund"]}
    for_b = {"values": [*seen_by_b[0]["labels"], "urgent"]}
    first = client.put(path, json=for_a, headers={**tenant.headers(), "If-Match": seen_by_a[1]})
    assert first.status_code == 200 and first.json()["labels"] == ["refund", "vip"]
    second = client.put(path, json=for_b, headers={**tenant.headers(), "If-Match": seen_by_b[1]})
    assert second.status_code == 412
    assert second.json() == {
        "error": {
            "code": "version_mismatch",
            "message": f"Ticket {ticket['id']} changed: it is at version "
            f"{first.json()['version']} now",
            "field": "If-Match",
        }
    }
    after, tag = _read(client, tenant, ticket["id"])
    assert after["labels"] == ["refund", "vip"] and tag == first.headers["etag"]
    # B reads again and retries: both labels are kept.
    retried = client.put(
        path,
        json={"values": [*after["labels"], "urgent"]},
        headers={**tenant.headers(), "If-Match": tag},
    )
    assert retried.status_code == 200 and retried.json()["labels"] == ["refund", "urgent", "vip"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("*", 200),
        ('"1", "{v}"', 200),
        ('W/"{v}"', 412),  # a weak tag never matches: the comparison is strong
        ('"{old}"', 412),
        ("garbage", 412),
    ],
)
def test_if_match_forms(client: TestClient, tenant: Tenant, header: str, status: int) -> None:
    ticket = _ticket(client, tenant)
    version = ticket["version"]
    client.put(
        f"/api/v1/tickets/{ticket['id']}/tags", json={"values": ["a"]}, headers=tenant.headers()
    )
    value = header.format(v=version + 1, old=version)
    changed = client.put(
        f"/api/v1/tickets/{ticket['id']}/tags",
        json={"values": ["b"]},
        headers={**tenant.headers(), "If-Match": value},
    )
    assert changed.status_code == status, changed.text
    tags = _read(client, tenant, ticket["id"])[0]["tags"]
    assert tags == (["b"] if status == 200 else ["a"])


CHANGES: dict[str, tuple[str, str, Callable[[dict[str, Any]], dict[str, Any] | None]]] = {
    "message": ("post", "messages", lambda t: {"body": "More"}),
    "status": ("post", "status", lambda t: {"status": "solved"}),
    "labels": ("put", "labels", lambda t: {"values": ["x"]}),
    "tags": ("put", "tags", lambda t: {"values": ["x"]}),
    "assignees": ("put", "assignees", lambda t: {"agent_ids": [t["agent"]]}),
    "merge": ("post", "merge", lambda t: {"target_id": t["other"]}),
    "split": ("post", "split", lambda t: {"message_ids": [t["messages"][0]["id"]]}),
    "archive": ("post", "archive", lambda t: None),
    "unarchive": ("post", "unarchive", lambda t: None),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_refuses_a_stale_etag_and_writes_nothing(
    client: TestClient, tenant: Tenant, change: str
) -> None:
    ticket = _ticket(client, tenant)
    client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"body": "second"},
        headers=tenant.headers(),
    )
    if change == "unarchive":
        client.post(f"/api/v1/tickets/{ticket['id']}/archive", headers=tenant.headers())
    before, tag = _read(client, tenant, ticket["id"])
    stale = f'"{before["version"] - 1}"'
    other = _ticket(client, tenant)
    agent = client.post(
        "/api/v1/agents",
        json={"name": "Bo", "email": tenant.address("bo")},
        headers=tenant.headers(),
    ).json()
    method, action, body_of = CHANGES[change]
    body = body_of({**before, "other": other["id"], "agent": agent["id"]})
    url = f"/api/v1/tickets/{ticket['id']}/{action}"
    refused = client.request(
        method, url, json=body, headers={**tenant.headers(), "If-Match": stale}
    )
    assert refused.status_code == 412, refused.text
    assert refused.json()["error"]["code"] == "version_mismatch"
    assert _read(client, tenant, ticket["id"]) == (before, tag)
    done = client.request(method, url, json=body, headers={**tenant.headers(), "If-Match": tag})
    assert done.status_code in (200, 201), done.text
    assert _read(client, tenant, ticket["id"])[0]["version"] > before["version"]


def test_label_updates_at_once_over_http_never_fail(services: Services, tenant: Tenant) -> None:
    """The issue's reproduction, with real requests in threads against a real server."""
    writers = 8
    with serving(create_app(services=services)) as host:
        base = f"http://{host}/api/v1"
        made = httpx2.post(
            f"{base}/tickets",
            json={"subject": "Race", "message": {"body": "Hi"}, "labels": ["shared"]},
            headers=tenant.headers(),
        )
        ticket_id = made.json()["id"]
        start = threading.Barrier(writers)
        answers: list[int] = []
        errors: list[BaseException] = []

        def put(number: int) -> None:
            try:
                start.wait(timeout=30)
                answer = httpx2.put(
                    f"{base}/tickets/{ticket_id}/labels",
                    json={"values": ["shared", f"mine-{number}"]},
                    headers=tenant.headers(),
                    timeout=60,
                )
                answers.append(answer.status_code)
            except BaseException as exc:  # asserted on below
                errors.append(exc)

        threads = [threading.Thread(target=put, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        final = httpx2.get(f"{base}/tickets/{ticket_id}", headers=tenant.headers()).json()
    assert errors == [] and answers == [200] * writers
    assert len(final["labels"]) == 2 and "shared" in final["labels"]
    assert final["version"] == made.json()["version"] + writers
