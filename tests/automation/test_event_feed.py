"""GET /api/v1/events: the account's recorded events, oldest first, filtered and paged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from tests.automation.conftest import feed, open_ticket, set_status
from tests.conftest import Tenant


def test_the_feed_lists_changes_in_order_and_filters_them(
    client: TestClient, tenant: Tenant
) -> None:
    first = open_ticket(client, tenant, "First")
    second = open_ticket(client, tenant, "Second")
    set_status(client, tenant, first["id"], "solved")

    everything = feed(client, tenant)
    ids = [item["id"] for item in everything]
    assert ids == sorted(ids)
    kinds = [item["type"] for item in everything]
    assert kinds.count("ticket.opened") == 2
    assert kinds.count("contact.created") == 1  # the same requester twice: one contact

    opened = feed(client, tenant, type="ticket.opened")
    assert [item["ticket_id"] for item in opened] == [first["id"], second["id"]]
    status = feed(client, tenant, type="ticket.status_changed")
    assert [(item["ticket_id"], item["data"]["after"]) for item in status] == [
        (first["id"], "solved")
    ]
    areas = {item["type"].split(".")[0] for item in feed(client, tenant, type="ticket.*")}
    assert areas == {"ticket"}
    of_second = feed(client, tenant, ticket_id=second["id"])
    assert of_second and {item["ticket_id"] for item in of_second} == {second["id"]}


def test_the_feed_pages_by_cursor_without_gaps_or_repeats(
    client: TestClient, tenant: Tenant
) -> None:
    for number in range(4):
        open_ticket(client, tenant, f"T{number}")
    whole = [item["id"] for item in feed(client, tenant)]
    seen: list[int] = []
    after = 0
    while True:
        page = client.get(
            "/api/v1/events", params={"limit": 3, "after_id": after}, headers=tenant.headers()
        ).json()
        seen += [item["id"] for item in page["items"]]
        assert len(page["items"]) <= 3
        if page["next_after_id"] is None:
            break
        after = page["next_after_id"]
    assert seen == whole and len(whole) > 3


def test_the_feed_filters_by_time(client: TestClient, tenant: Tenant, services: Services) -> None:
    open_ticket(client, tenant, "Early")
    events = feed(client, tenant)
    cut = events[-1]["time"] + 1
    late = open_ticket(client, tenant, "Late")
    after_cut = feed(client, tenant, since=cut)
    assert after_cut and all(item["time"] >= cut for item in after_cut)
    assert late["id"] in {item["ticket_id"] for item in after_cut}
    before_cut = feed(client, tenant, until=cut - 1)
    assert [item["id"] for item in before_cut] == [item["id"] for item in events]


def test_the_feed_is_the_accounts_own_and_for_admins(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = open_ticket(client, tenant)
    theirs = feed(client, other_tenant)
    assert theirs and {item["type"] for item in theirs} <= {
        "account.settings_changed",
        "credential.issued",
    }
    assert not any(item["ticket_id"] == mine["id"] for item in theirs)
    assert feed(client, other_tenant, ticket_id=mine["id"]) == []
    reader = tenant.key(Scope.TICKETS_READ)
    refused = client.get("/api/v1/events", headers=tenant.headers(reader))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"


def test_bad_filters_are_refused_in_the_native_envelope(client: TestClient, tenant: Tenant) -> None:
    for params in (
        {"type": "Ticket Opened"},
        {"since": "5", "until": "4"},
        {"limit": "0"},
        {"after_id": "-1"},
        {"ticket_id": str(2**31)},
    ):
        got = client.get("/api/v1/events", params=params, headers=tenant.headers())
        assert got.status_code == 422, (params, got.text)
        assert "code" in got.json()["error"]
