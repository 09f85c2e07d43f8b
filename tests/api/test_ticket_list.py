"""GET /api/v1/tickets: the web app's queue filters, full-text words and keyset cursors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from frontdesk.storage import tables as t
from tests.conftest import Tenant

DAY = 86_400_000
BASE = 1_700_000_000_000  # pinned creation times: day 0 of the tests


def _make(client: TestClient, tenant: Tenant, subject: str, **extra: Any) -> dict[str, Any]:
    body = {
        "subject": subject,
        "message": {"body": extra.pop("text", f"About {subject}")},
        "requester_email": extra.pop("requester", tenant.address("ann")),
        **extra,
    }
    made = client.post("/api/v1/tickets", json=body, headers=tenant.headers())
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()
    return ticket


def _pin(tenant: Tenant, ticket_id: int, day: int) -> None:
    """Created, updated and latest activity on `day` (days after BASE)."""
    stamp = BASE + day * DAY
    with tenant.services.store.write() as uow:
        uow.conn.execute(
            update(t.tickets)
            .where(t.tickets.c.id == ticket_id)
            .values(created=stamp, updated=stamp, latest_activity=stamp)
        )


def _ids(client: TestClient, tenant: Tenant, **params: Any) -> list[int]:
    got = client.get("/api/v1/tickets", params=params, headers=tenant.headers())
    assert got.status_code == 200, got.text
    return [row["id"] for row in got.json()["tickets"]]


@pytest.fixture
def world(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    """Five tickets that differ in one thing each, created a day apart (a oldest)."""
    h = tenant.headers()
    inbox = client.post(
        "/api/v1/inboxes", json={"name": "Sales", "email": tenant.address("sales")}, headers=h
    ).json()
    agent = client.post(
        "/api/v1/agents", json={"name": "Bo", "email": tenant.address("bo")}, headers=h
    ).json()
    made = {
        "a": _make(client, tenant, "Refund please", text="The parcel arrived broken"),
        "b": _make(client, tenant, "Invoice", inbox_id=inbox["id"], priority="urgent"),
        "c": _make(client, tenant, "Login", labels=["vip"], tags=["web"]),
        "d": _make(client, tenant, "Password", assignee_ids=[agent["id"]], labels=["vip"]),
        "e": _make(client, tenant, "Shipping", requester=tenant.address("cy")),
    }
    solved = client.patch(
        f"/api/v1/tickets/{made['e']['id']}", json={"status": "solved"}, headers=h
    )
    assert solved.status_code == 200, solved.text
    for day, name in enumerate("abcde"):
        _pin(tenant, made[name]["id"], day)
    return {"ids": {k: v["id"] for k, v in made.items()}, "inbox": inbox, "agent": agent}


def test_every_filter_narrows_to_what_it_names(
    client: TestClient, tenant: Tenant, world: dict[str, Any]
) -> None:
    ids = world["ids"]
    newest_first = [ids[k] for k in "edcba"]
    assert _ids(client, tenant) == newest_first
    assert _ids(client, tenant, status="solved") == [ids["e"]]
    assert _ids(client, tenant, status=["solved", "new"]) == newest_first
    assert _ids(client, tenant, inbox_id=world["inbox"]["id"]) == [ids["b"]]
    assert _ids(client, tenant, assignee=world["agent"]["id"]) == [ids["d"]]
    assert _ids(client, tenant, assignee="none") == [ids[k] for k in "ecba"]
    assert _ids(client, tenant, label="vip") == [ids["d"], ids["c"]]
    assert _ids(client, tenant, label="vip", tag="web") == [ids["c"]]
    assert _ids(client, tenant, priority="urgent") == [ids["b"]]
    assert _ids(client, tenant, created_from=BASE + DAY, created_to=BASE + 2 * DAY) == [
        ids["c"],
        ids["b"],
    ]
    assert _ids(client, tenant, updated_from=BASE + 3 * DAY) == [ids["e"], ids["d"]]
    assert _ids(client, tenant, updated_to=BASE) == [ids["a"]]
    # Whole words of the subject and of the messages, every word needed.
    assert _ids(client, tenant, q="parcel broken") == [ids["a"]]
    assert _ids(client, tenant, q="parcel invoice") == []
    assert _ids(client, tenant, q="INVOICE") == [ids["b"]]
    assert _ids(client, tenant, q="invoice", status="solved") == []


def test_sorts(client: TestClient, tenant: Tenant, world: dict[str, Any]) -> None:
    ids = world["ids"]
    assert _ids(client, tenant, sort="priority")[0] == ids["b"]  # urgent first
    assert _ids(client, tenant, sort="created") == [ids[k] for k in "edcba"]


def test_the_summary_shows_what_the_queue_shows(
    client: TestClient, tenant: Tenant, world: dict[str, Any]
) -> None:
    got = client.get(
        "/api/v1/tickets", params={"label": "vip", "tag": "web"}, headers=tenant.headers()
    )
    (row,) = got.json()["tickets"]
    assert row["subject"] == "Login" and row["labels"] == ["vip"] and row["tags"] == ["web"]
    assert row["requester_email"] == tenant.address("ann") and row["status"] == "new"
    assert row["created"] == BASE + 2 * DAY and row["version"] >= 1
    b = client.get(
        "/api/v1/tickets", params={"priority": "urgent"}, headers=tenant.headers()
    ).json()["tickets"][0]
    assert b["inbox_name"] == "Sales" and b["inbox_id"] == world["inbox"]["id"]


def test_keyset_pages_walk_every_ticket_once_both_ways(client: TestClient, tenant: Tenant) -> None:
    made = [_make(client, tenant, f"T{n}")["id"] for n in range(7)]
    for day, ticket_id in enumerate(made):
        _pin(tenant, ticket_id, day)
    seen: list[int] = []
    cursor = None
    pages = []
    while True:
        params: dict[str, Any] = {"limit": 3, **({"after": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", params=params, headers=tenant.headers()).json()
        pages.append(page)
        seen += [row["id"] for row in page["tickets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    assert [len(p["tickets"]) for p in pages] == [3, 3, 1]
    assert pages[0]["previous_cursor"] is None
    back = client.get(
        "/api/v1/tickets",
        params={"limit": 3, "before": pages[2]["previous_cursor"]},
        headers=tenant.headers(),
    ).json()
    assert [row["id"] for row in back["tickets"]] == [row["id"] for row in pages[1]["tickets"]]


def test_the_default_page_is_25_and_100_is_the_most(client: TestClient, tenant: Tenant) -> None:
    for n in range(26):
        _make(client, tenant, f"Bulk {n}")
    page = client.get("/api/v1/tickets", headers=tenant.headers()).json()
    assert len(page["tickets"]) == 25 and page["next_cursor"]
    assert (
        client.get("/api/v1/tickets", params={"limit": 100}, headers=tenant.headers()).status_code
        == 200
    )
    over = client.get("/api/v1/tickets", params={"limit": 101}, headers=tenant.headers())
    assert over.status_code == 422 and over.json()["error"]["field"] == "limit"


def test_another_accounts_tickets_are_never_listed(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = _make(client, tenant, "Mine unique words")["id"]
    _make(client, other_tenant, "Theirs unique words")
    assert _ids(client, tenant, q="unique") == [mine]
    assert _ids(client, other_tenant, q="mine") == []


def test_a_key_needs_tickets_read(client: TestClient, tenant: Tenant) -> None:
    from frontdesk.core.shared.records import Scope

    chat_only = tenant.key(Scope.CHAT_READ)
    got = client.get("/api/v1/tickets", headers=tenant.headers(chat_only))
    assert got.status_code == 403 and got.json()["error"]["code"] == "missing_scope"
    reader = tenant.key(Scope.TICKETS_READ)
    assert client.get("/api/v1/tickets", headers=tenant.headers(reader)).status_code == 200


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"status": "lost"}, "invalid", "status.0"),
        ({"priority": "meh"}, "invalid", "priority"),
        ({"assignee": "me"}, "invalid", "assignee"),
        ({"assignee": "99999999999"}, "invalid", "assignee"),
        ({"after": "1.x"}, "invalid_cursor", "after"),
        ({"created_from": 5, "created_to": 4}, "empty_window", "created"),
        ({"q": "!!!"}, "invalid_search", "q"),
        ({"sort": "random"}, "invalid", "sort"),
    ],
)
def test_bad_filters_are_422_in_the_envelope(
    client: TestClient, tenant: Tenant, params: dict[str, Any], code: str, field: str
) -> None:
    got = client.get("/api/v1/tickets", params=params, headers=tenant.headers())
    assert got.status_code == 422, got.text
    error = got.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
