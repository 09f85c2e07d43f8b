"""Status transitions: the documented table, the reason in the ticket's log, 409 otherwise."""

from __future__ import annotations

import pytest

from frontdesk.api.inboxops import words
from frontdesk.core.tickets import transitions
from frontdesk.core.tickets.records import Status
from tests.dialects.inboxops.conftest import Ops, error_of


def _status(ops: Ops, ticket_id: str, to: str, reason: str | None = None) -> int:
    body = {"toStatus": to} if reason is None else {"toStatus": to, "reason": reason}
    return ops.post(f"/{ticket_id}/status", body).status_code


def test_close_as_in_the_spec_then_reopen_with_a_reason(ops: Ops) -> None:
    ticket = ops.create()
    response = ops.post(f"/{ticket['id']}/status", {"toStatus": "closed"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    reopened = ops.post(
        f"/{ticket['id']}/status", {"toStatus": "open", "reason": "Customer wrote back."}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    logs = [m for m in ops.ticket(ticket["id"])["messages"] if m["type"] == "log"]
    assert [m["authorType"] for m in logs] == ["system", "system"]
    assert logs[-1]["body"].endswith("Reason: Customer wrote back.")
    assert logs[-1]["isInternal"] is True


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["pending", "on_hold", "solved", "closed", "open"], True),
        (["solved", "open", "closed", "open"], True),
        (["closed", "pending"], False),
        (["closed", "solved"], False),
        (["solved", "pending"], False),
        (["solved", "on_hold"], False),
    ],
)
def test_the_transition_table(ops: Ops, path: list[str], allowed: bool) -> None:
    ticket = ops.create()
    for word in path[:-1]:
        assert _status(ops, ticket["id"], word) == 200
    last = ops.post(f"/{ticket['id']}/status", {"toStatus": path[-1]})
    if allowed:
        assert last.status_code == 200 and last.json()["status"] == path[-1]
    else:
        error_of(last, 409, "invalid_transition")
        assert ops.ticket(ticket["id"])["status"] == path[-2]


def test_same_status_and_open_when_open_change_nothing(ops: Ops) -> None:
    ticket = ops.create()
    assert _status(ops, ticket["id"], "open", "again") == 200
    assert [m["type"] for m in ops.ticket(ticket["id"])["messages"]] == ["reply"]
    assert _status(ops, ticket["id"], "closed") == 200
    assert _status(ops, ticket["id"], "closed") == 200
    assert [m["type"] for m in ops.ticket(ticket["id"])["messages"]] == ["reply", "log"]


def test_bad_status_requests(ops: Ops) -> None:
    ticket = ops.create()
    path = f"/{ticket['id']}/status"
    assert error_of(ops.post(path, {"toStatus": "done"}), 400)["field"] == "toStatus"
    assert error_of(ops.post(path, {}), 400)["field"] == "toStatus"
    error_of(ops.post(path, {"toStatus": "closed", "reason": "x" * 2001}), 400)
    assert ops.ticket(ticket["id"])["status"] == "open"


def test_words_cover_every_status_both_ways() -> None:
    for status in Status:
        assert status in words.statuses(words.status_word(status))
    for word, target in words.TARGET_OF.items():
        assert words.status_word(target) == word


def test_table_is_total_and_never_returns_to_new() -> None:
    for before in Status:
        assert transitions.allowed(before, before)
        assert before is Status.NEW or not transitions.allowed(before, Status.NEW)
        assert transitions.allowed(before, Status.REPLY) or before is Status.REPLY
