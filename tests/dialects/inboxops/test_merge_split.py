"""Merge and split through the API: all or nothing, refusals, and two merges at once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.storage import tables as t
from tests.core.helpers import ticket_id_of
from tests.dialects.inboxops.conftest import Ops, error_of

UNKNOWN = "4831ac90-752a-4bb7-9563-f78ae90cc43f"


def _contents(ops: Ops, *ticket_ids: str) -> Counter[str]:
    """Every reply and note id on these tickets (log lines left out), counted."""
    return Counter(
        m["id"] for tid in ticket_ids for m in ops.ticket(tid)["messages"] if m["type"] != "log"
    )


def _where(ops: Ops, message_ids: list[str]) -> dict[str, int]:
    with ops.services.store.read() as uow:
        rows = uow.conn.execute(
            select(t.messages.c.uuid, t.messages.c.ticket_id).where(
                t.messages.c.uuid.in_(message_ids)
            )
        ).all()
    return {str(uuid): int(ticket_id) for uuid, ticket_id in rows}


def test_merge_as_in_the_spec_moves_every_message(ops: Ops) -> None:
    source, target = ops.create("Order 1"), ops.create("Order 1 again")
    note = ops.message(source["id"], body="Also about order 1", isInternal=True)
    moving = _contents(ops, source["id"])
    staying = _contents(ops, target["id"])
    response = ops.post(f"/{source['id']}/merge", {"targetTicketId": target["id"]})
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == target["id"]
    assert Counter(m["id"] for m in merged["messages"] if m["type"] != "log") == moving + staying
    assert note["id"] in {m["id"] for m in merged["messages"]}
    after = ops.ticket(source["id"])
    assert after["status"] == "closed" and after["mergedIntoId"] == target["id"]
    assert [m["type"] for m in after["messages"]] == ["log"]
    # the merged ticket is frozen
    error_of(ops.post(f"/{source['id']}/messages", {"body": "late"}), 409, "ticket_merged")
    error_of(ops.post(f"/{source['id']}/status", {"toStatus": "open"}), 409, "ticket_merged")
    listed = {t["id"]: t for t in ops.get(status="closed").json()}
    assert listed[source["id"]]["mergedIntoId"] == target["id"]


@pytest.mark.parametrize("case", ["self", "into merged", "cycle", "already merged"])
def test_merge_refusals_change_nothing(ops: Ops, case: str) -> None:
    a, b, c = ops.create("A"), ops.create("B"), ops.create("C")
    if case != "self":
        assert ops.post(f"/{a['id']}/merge", {"targetTicketId": b["id"]}).status_code == 200
    before = _contents(ops, a["id"], b["id"], c["id"])
    source, target, status, code = {
        "self": (c, c, 400, "merge_into_self"),
        "into merged": (c, a, 409, "target_merged"),
        "cycle": (b, a, 409, "target_merged"),
        "already merged": (a, c, 409, "already_merged"),
    }[case]
    found = error_of(ops.post(f"/{source['id']}/merge", {"targetTicketId": target["id"]}), status)
    assert found["code"] == code
    assert _contents(ops, a["id"], b["id"], c["id"]) == before
    assert ops.ticket(c["id"])["mergedIntoId"] is None


def test_merge_bad_bodies(ops: Ops) -> None:
    ticket = ops.create()
    path = f"/{ticket['id']}/merge"
    assert error_of(ops.post(path, {}), 400)["field"] == "targetTicketId"
    assert error_of(ops.post(path, {"targetTicketId": "TARGET_TICKET_UUID"}), 400)["field"] == (
        "targetTicketId"
    )
    found = error_of(
        ops.post(path, {"targetTicketId": "4831ac90-752a-4bb7-9563-f78ae90cc43f"}), 404
    )
    assert found["field"] == "targetTicketId"


def _merge_at_once(ops: Ops, pairs: list[tuple[str, str]]) -> list[int]:
    barrier = threading.Barrier(len(pairs))
    statuses: list[int] = []

    def attempt(source: str, target: str) -> None:
        client = TestClient(ops.client.app)  # its own portal: truly concurrent requests
        barrier.wait()
        response = client.post(
            f"{ops.base}/{source}/merge", json={"targetTicketId": target}, headers=ops.headers()
        )
        statuses.append(response.status_code)

    workers = [threading.Thread(target=attempt, args=pair) for pair in pairs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return sorted(statuses)


def _three_with_history(ops: Ops) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    source, first, second = ops.create("S"), ops.create("T1"), ops.create("T2")
    ops.message(source["id"], body="second message on the source")
    return source, first, second


def test_two_merges_of_the_same_ticket_at_once_one_wins(ops: Ops) -> None:
    source, first, second = _three_with_history(ops)
    everything = _contents(ops, source["id"], first["id"], second["id"])
    moving = list(_contents(ops, source["id"]))
    assert _merge_at_once(ops, [(source["id"], first["id"]), (source["id"], second["id"])]) == [
        200,
        409,
    ]
    assert _contents(ops, source["id"], first["id"], second["id"]) == everything
    homes = set(_where(ops, moving).values())
    assert len(homes) == 1  # all moved together, to one of the two
    merged_into = ops.ticket(source["id"])["mergedIntoId"]
    assert merged_into in (first["id"], second["id"])
    assert set(moving) <= set(_contents(ops, merged_into))


def test_opposite_merges_at_once_one_wins(ops: Ops) -> None:
    a, b, _ = _three_with_history(ops)
    everything = _contents(ops, a["id"], b["id"])
    assert _merge_at_once(ops, [(a["id"], b["id"]), (b["id"], a["id"])]) == [200, 409]
    assert _contents(ops, a["id"], b["id"]) == everything
    merged = [x for x in (a, b) if ops.ticket(x["id"])["mergedIntoId"] is not None]
    assert len(merged) == 1


def test_split_as_in_the_spec(ops: Ops) -> None:
    ticket = ops.create("Two questions", tags=["vip"])
    second = ops.message(ticket["id"], body="Second question")
    third = ops.message(ticket["id"], body="Third question")
    response = ops.post(
        f"/{ticket['id']}/split",
        {"messageIds": [second["id"], third["id"]], "newSubject": "Split thread"},
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert set(result) == {"ticket", "movedCount"} and result["movedCount"] == 2
    new = result["ticket"]
    assert new["subject"] == "Split thread" and new["tags"] == ["vip"]
    assert new["ticketNumber"] == ticket["ticketNumber"] + 1
    assert [m["id"] for m in new["messages"] if m["type"] != "log"] == [second["id"], third["id"]]
    left = [m for m in ops.ticket(ticket["id"])["messages"] if m["type"] != "log"]
    assert [m["body"] for m in left] == ["Initial message text."]
    # The new ticket is opened in the event log as any ticket, saying where it came from.
    source_id, new_id = ticket_id_of(ops.tenant, ticket["id"]), ticket_id_of(ops.tenant, new["id"])
    with ops.services.store.read() as uow:
        opened = uow.events.list_events(ops.tenant.id, new_id)[0]
    assert opened[0] == "ticket.opened"
    assert opened[2]["split_from"] == source_id
    assert opened[2]["split_from_number"] == ticket["ticketNumber"]
    default = ops.post(f"/{new['id']}/split", {"messageIds": [third["id"]]}).json()["ticket"]
    assert default["subject"] == "Split thread"


def test_split_refusals_change_nothing(ops: Ops) -> None:
    ticket, other = ops.create(), ops.create()
    extra = ops.message(ticket["id"], body="second")
    ops.post(f"/{ticket['id']}/status", {"toStatus": "pending", "reason": "waiting"})
    conversation = [m["id"] for m in ops.ticket(ticket["id"])["messages"] if m["type"] != "log"]
    foreign_to_ticket = ops.ticket(other["id"])["messages"][0]["id"]
    path = f"/{ticket['id']}/split"
    cases: list[tuple[Any, int, str]] = [
        ({"messageIds": []}, 400, "invalid"),
        ({"messageIds": ["msg-uuid-1"]}, 400, "invalid"),
        ({"messageIds": conversation}, 400, "split_all"),  # log lines left do not count
        ({"messageIds": [foreign_to_ticket]}, 400, "not_on_ticket"),
        ({"messageIds": [extra["id"], UNKNOWN]}, 404, "message_not_found"),
        ({"messageIds": [extra["id"]], "newSubject": "x" * 1001}, 400, "invalid"),
    ]  # fmt: skip
    for body, status, code in cases:
        error_of(ops.post(path, body), status, code)
    assert [m["id"] for m in ops.ticket(ticket["id"])["messages"] if m["type"] != "log"] == (
        conversation
    )
    with ops.services.store.read() as uow:
        assert uow.tickets.count_tickets(ops.tenant.id) == 2


def test_two_customers_tickets_merge_only_with_force(ops: Ops) -> None:
    source = ops.create("Refund", requesterEmail=ops.tenant.address("xena"))
    target = ops.create("Parcel", requesterEmail=ops.tenant.address("yann"))
    refused = ops.post(f"/{source['id']}/merge", {"targetTicketId": target["id"]})
    body = error_of(refused, 409, "different_requesters")
    assert body["field"] == "force"
    assert ops.ticket(source["id"])["mergedIntoId"] is None  # nothing moved
    forced = ops.post(f"/{source['id']}/merge", {"targetTicketId": target["id"], "force": True})
    assert forced.status_code == 200, forced.text
    assert ops.ticket(source["id"])["mergedIntoId"] == target["id"]
    # A ticket without a requester (the spec's own create) merges into anyone's freely.
    loose = ops.create("No requester")
    assert ops.post(f"/{loose['id']}/merge", {"targetTicketId": target["id"]}).status_code == 200
