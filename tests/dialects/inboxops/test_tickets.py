"""Tickets from the spec's examples: create, list, get, update, archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import add_agent
from tests.dialects.inboxops.conftest import Ops, error_of

TICKET_FIELDS = {
    "id", "workspaceId", "ticketNumber", "subject", "status", "priority", "assigneeId", "tags",
    "requesterEmail", "requesterName", "archivedAt", "mergedIntoId", "createdAt", "updatedAt",
    "lastActivityAt",
}  # fmt: skip


def test_create_as_in_the_spec_answers_201_with_the_ticket(ops: Ops) -> None:
    response = ops.post("", {"subject": "Support request", "body": "Initial message text."})
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert set(ticket) == TICKET_FIELDS | {"messages"}
    assert len(ticket["id"]) == 36 and ticket["id"].count("-") == 4
    assert ticket["workspaceId"] == ops.workspace
    assert ticket["ticketNumber"] == 1
    assert ticket["subject"] == "Support request"
    assert ticket["status"] == "open" and ticket["priority"] == "normal"
    assert ticket["assigneeId"] is None and ticket["tags"] == [] and ticket["archivedAt"] is None
    assert datetime.fromisoformat(ticket["createdAt"]).tzinfo is not None
    (first,) = ticket["messages"]
    assert first["body"] == "Initial message text." and first["type"] == "reply"
    _read_back(ops, ticket)
    assert ops.create()["ticketNumber"] == 2


def _read_back(ops: Ops, answered: dict[str, Any]) -> None:
    """What a create or update answered is what is stored: a fresh GET agrees."""
    fresh = ops.ticket(answered["id"])
    if "messages" not in answered:  # an update answers without the thread
        del fresh["messages"]
    assert fresh == answered


def test_create_with_the_frontdesk_additions(ops: Ops) -> None:
    ticket = ops.create(
        requesterEmail=ops.tenant.address("jane"),
        requesterName="Jane",
        priority="high",
        tags=["billing", "urgent"],
        assigneeId=str(ops.agent.id),
    )
    assert ticket["requesterEmail"] == ops.tenant.address("jane")
    assert ticket["priority"] == "high" and ticket["tags"] == ["billing", "urgent"]
    assert ticket["assigneeId"] == ops.agent.uuid  # shown as the spec shows users
    assert ticket["messages"][0]["authorType"] == "customer"
    _read_back(ops, ticket)


def test_create_refuses_bad_bodies_and_writes_nothing(ops: Ops) -> None:
    cases = [
        ({"subject": "x"}, "body"),
        ({"body": "x"}, "subject"),
        ({"subject": "   ", "body": "x"}, "subject"),
        ({"subject": "x", "body": "   "}, "body"),
        ({"subject": "x", "body": "a\x00b"}, "body"),
        ({"subject": "x", "body": "y", "priority": "sky-high"}, "priority"),
        ({"subject": "x", "body": "y", "assigneeId": "ann"}, "assigneeId"),
        ({"subject": "x", "body": "y", "requesterEmail": "not-an-address"}, None),
    ]
    for body, field in cases:
        found = error_of(ops.post("", body), 400)
        if field:
            assert found["field"] == field, (body, found)
    malformed = ops.client.post(
        ops.base,
        content=b"{not json",
        headers={**ops.headers(), "Content-Type": "application/json"},
    )
    error_of(malformed, 400, "malformed_body")
    with ops.services.store.read() as uow:
        assert uow.tickets.count_tickets(ops.tenant.id) == 0


def test_create_with_another_workspaces_agent_is_refused(ops: Ops, other_tenant: Tenant) -> None:
    foreign = add_agent(other_tenant, "Mallory")
    found = error_of(ops.post("", {"subject": "x", "body": "y", "assigneeId": foreign.id}), 404)
    assert found["code"] == "agent_not_found" and found["field"] == "assigneeId"
    with ops.services.store.read() as uow:
        assert uow.tickets.count_tickets(ops.tenant.id) == 0


def test_get_returns_the_ticket_with_its_messages(ops: Ops) -> None:
    created = ops.create()
    ops.message(created["id"], body="Thanks for reaching out.")
    ticket = ops.ticket(created["id"])
    assert set(ticket) == TICKET_FIELDS | {"messages"}
    assert [m["body"] for m in ticket["messages"]] == [
        "Initial message text.",
        "Thanks for reaching out.",
    ]
    assert all(m["ticketId"] == created["id"] for m in ticket["messages"])


def test_ticket_ids_are_uuids_any_case(ops: Ops) -> None:
    created = ops.create()
    assert ops.ticket(created["id"].upper())["id"] == created["id"]


def test_malformed_and_unknown_ticket_ids(ops: Ops) -> None:
    for bad in ("123", "not-a-uuid", "4831ac90-752a-4bb7-9563-f78ae90cc43", "%00"):
        found = error_of(ops.get(f"/{bad}"), 400, "invalid_id")
        assert found["field"] == "ticketId"
    error_of(ops.get("/4831ac90-752a-4bb7-9563-f78ae90cc43f"), 404, "ticket_not_found")
    error_of(ops.get("/4831ac90-752a-4bb7-9563-f78ae90cc43f/nothing"), 404)


def test_patch_assignee_priority_tags_as_in_the_spec(ops: Ops) -> None:
    ticket = ops.create()
    response = ops.patch(f"/{ticket['id']}", {"assigneeId": str(ops.agent.id), "tags": ["billing"]})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == TICKET_FIELDS
    assert updated["assigneeId"] == ops.agent.uuid and updated["tags"] == ["billing"]
    assert updated["priority"] == "normal"  # left out: unchanged
    _read_back(ops, updated)
    updated = ops.patch(f"/{ticket['id']}", {"priority": "high", "tags": ["billing", "urgent"]})
    assert updated.json()["priority"] == "high"
    assert updated.json()["tags"] == ["billing", "urgent"]
    assert updated.json()["assigneeId"] == ops.agent.uuid
    _read_back(ops, updated.json())
    replaced = ops.patch(f"/{ticket['id']}", {"tags": ["vip"], "assigneeId": ops.other_agent.id})
    assert replaced.json()["tags"] == ["vip"]
    assert replaced.json()["assigneeId"] == ops.other_agent.uuid
    _read_back(ops, replaced.json())
    # The spec's own shape: the user's UUID (upper case too), as it was shown.
    by_uuid = ops.patch(f"/{ticket['id']}", {"assigneeId": ops.agent.uuid.upper()})
    assert by_uuid.status_code == 200, by_uuid.text
    assert by_uuid.json()["assigneeId"] == ops.agent.uuid
    _read_back(ops, by_uuid.json())
    cleared = ops.patch(f"/{ticket['id']}", {"assigneeId": None})
    assert cleared.json()["assigneeId"] is None and cleared.json()["tags"] == ["vip"]
    _read_back(ops, cleared.json())


def test_patch_refusals_change_nothing(ops: Ops, other_tenant: Tenant) -> None:
    foreign = add_agent(other_tenant, "Mallory")
    ticket = ops.create(tags=["keep"])
    path = f"/{ticket['id']}"
    error_of(ops.patch(path, {"priority": "whenever"}), 400)
    error_of(ops.patch(path, {"tags": "billing"}), 400)
    error_of(ops.patch(path, {"tags": ["ok", ""]}), 400)
    error_of(ops.patch(path, {"assigneeId": "12abc"}), 400)
    error_of(ops.patch(path, {"assigneeId": str(foreign.id)}), 404, "agent_not_found")
    unknown = error_of(ops.patch(path, {"assigneeId": foreign.uuid}), 404, "agent_not_found")
    assert unknown["field"] == "assigneeId"
    # one bad field in a request refuses all of it: nothing half-written
    error_of(ops.patch(path, {"tags": ["new"], "assigneeId": 2_000_000_000}), 404)
    after = ops.ticket(ticket["id"])
    assert after["tags"] == ["keep"] and after["assigneeId"] is None


def test_archive_and_unarchive_set_and_clear_archived_at(ops: Ops) -> None:
    ticket = ops.create()
    response = ops.post(f"/{ticket['id']}/archive")
    assert response.status_code == 200, response.text
    archived = response.json()
    assert archived["archivedAt"] is not None
    assert ops.post(f"/{ticket['id']}/archive").json()["archivedAt"] == archived["archivedAt"]
    assert [t["id"] for t in ops.get().json()] == []
    assert [t["id"] for t in ops.get(archived="include").json()] == [ticket["id"]]
    assert [t["id"] for t in ops.get(archived="only").json()] == [ticket["id"]]
    restored = ops.post(f"/{ticket['id']}/unarchive").json()
    assert restored["archivedAt"] is None
    assert [t["id"] for t in ops.get().json()] == [ticket["id"]]
    assert ops.get(archived="only").json() == []


def test_unknown_body_fields_are_ignored(ops: Ops) -> None:
    created = ops.post("", {"subject": "s", "body": "b", "channel": "email", "source": 3})
    assert created.status_code == 201


def test_updated_time_moves(ops: Ops) -> None:
    ticket = ops.create()
    with ops.services.store.write() as uow:
        uow.conn.execute(
            t.tickets.update().where(t.tickets.c.uuid == ticket["id"]).values(updated=0)
        )
    assert ops.patch(f"/{ticket['id']}", {"priority": "low"}).json()["updatedAt"] > "2000"


def test_an_agent_s_message_names_its_author_by_uuid(ops: Ops) -> None:
    """A reply an agent wrote elsewhere (the native API names the agent) shows authorId as
    the spec shows user ids: the agent's UUID."""
    ticket = ops.create()
    native = ops.client.post(
        f"/api/v1/tickets/{_native_id(ops, ticket['id'])}/messages",
        json={"body": "Done.", "agent_id": ops.agent.id},
        headers={"Authorization": f"Bearer {ops.tenant.admin_key}"},
    )
    assert native.status_code == 201, native.text
    reply = ops.ticket(ticket["id"])["messages"][-1]
    assert reply["authorType"] == "agent" and reply["authorId"] == ops.agent.uuid


def _native_id(ops: Ops, uuid: str) -> int:
    with ops.services.store.read() as uow:
        found = uow.tickets.get_ticket_by_uuid(ops.tenant.id, uuid)
    assert found is not None
    return found.id
