"""Merging two customers' tickets: refused unless forced, and then private all the same.

The issue's reproduction: an agent merged X's ticket into Y's, and Y then read X's
messages and files through the v3 customer API.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core.tickets.records import MessageKind
from tests.dialects.v3.conftest import V3


def _merge(v3: V3, source: int, target: int, **extra: Any) -> Any:
    return v3.client.post(
        f"/api/v1/tickets/{source}/merge",
        json={"target_id": target, **extra},
        headers=v3.tenant.headers(),
    )


def _contents(v3: V3, ticket_id: int, token: str) -> list[str]:
    thread = v3.get(f"/v3/tickets/{ticket_id}", token)
    assert thread.status_code == 200, thread.text
    return [reply["content"] for reply in thread.json()["replies"]]


def test_merging_another_customers_ticket_needs_force(v3: V3) -> None:
    theirs = v3.ticket(v3.other.token, content="My card ends in 4242")
    mine = v3.ticket(content="Where is my parcel?")
    refused = _merge(v3, theirs["id"], mine["id"])
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "different_requesters",
        "message": f"Tickets {theirs['id']} and {mine['id']} have different requesters; "
        "merge them only with force",
        "field": "force",
    }
    # Nothing moved: each customer still reads exactly their own ticket.
    assert _contents(v3, mine["id"], v3.me.token) == ["Where is my parcel?"]
    assert _contents(v3, theirs["id"], v3.other.token) == ["My card ends in 4242"]


def test_a_forced_merge_keeps_the_other_customers_messages_and_files_private(v3: V3) -> None:
    upload = v3.upload(b"card statement", "statement.txt", token=v3.other.token)
    theirs = v3.ticket(v3.other.token, content="My card ends in 4242", attachmentIds=[upload])
    v3.agent_writes(theirs["id"], "We refunded your card")
    v3.agent_writes(theirs["id"], "Copying you in", to=(v3.me.email,))  # addressed to me
    v3.agent_writes(theirs["id"], "note", kind=MessageKind.INTERNAL)
    mine = v3.ticket(content="Where is my parcel?")
    merged = _merge(v3, theirs["id"], mine["id"], force=True)
    assert merged.status_code == 200, merged.text
    # I read my own conversation and what was addressed to me, nothing else of theirs.
    assert _contents(v3, mine["id"], v3.me.token) == ["Copying you in", "Where is my parcel?"]
    listed = v3.get("/v3/tickets").json()
    assert [(t["id"], t["numUserReplies"]) for t in listed] == [(mine["id"], 1)]
    download = v3.get(f"/v3/tickets/{mine['id']}/attachment/{upload}")
    assert download.status_code == 404
    assert download.json()["error"] == "attachment_not_found"
    # The agents see everything on the merged ticket.
    agents_view = v3.client.get(f"/api/v1/tickets/{mine['id']}", headers=v3.tenant.headers())
    bodies = [m["body"] for m in agents_view.json()["messages"] if m["kind"] != "log"]
    assert "My card ends in 4242" in bodies and "We refunded your card" in bodies
    # Their old ticket is merged and empty; its conversation lives on the target now.
    assert _contents(v3, theirs["id"], v3.other.token) == []


def test_merging_one_customers_own_tickets_needs_no_force(v3: V3) -> None:
    first = v3.ticket(content="First")
    second = v3.ticket(content="Second")
    assert _merge(v3, first["id"], second["id"]).status_code == 200
    assert sorted(_contents(v3, second["id"], v3.me.token)) == ["First", "Second"]
