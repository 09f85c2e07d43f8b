"""Error `field` names are the parameter names of the vendor's tables, and 401/403/404
bodies carry `field` as docs/imbox.md promises (before: `email` for assignAgents,
`updated` / `time` / `endTime` for the end of a range, and no `field` at all on 401-404)."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant
from tests.dialects.imbox.conftest import ImBox


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["result"] == "error" and "field" in body
    return body


def test_assign_agents_is_named_as_the_parameter(imbox: ImBox) -> None:
    body = _error(imbox.insert(imbox.body(assignAgents=["nobody@example.org"])), 404)
    assert (body["code"], body["field"]) == ("agent_not_found", "assignAgents")


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        (
            "listTickets",
            {"updatedAfter": "2020-01-02", "updatedBefore": "2020-01-01"},
            "updatedBefore",
        ),
        (
            "listTickets",
            {"latestUpdatedAfter": "2020-01-02", "latestUpdatedBefore": "2020-01-01"},
            "latestUpdatedBefore",
        ),
        ("listTicketsEmails", {"startTime": "2020-01-02", "endTime": "2020-01-01"}, "endTime"),
    ],
)
def test_the_end_of_a_reversed_range_is_named(
    imbox: ImBox, endpoint: str, params: dict[str, str], field: str
) -> None:
    body = _error(imbox.get(endpoint, **params), 400)
    assert (body["code"], body["field"]) == ("empty_window", field)


def test_list_conversations_names_to_date(imbox: ImBox) -> None:
    key = imbox.tenant.key(Scope.CHAT_READ)
    url = imbox.url("listConversations", "2026-01-02", "2026-01-01", key=key)
    body = _error(imbox.client.get(url), 400)
    assert (body["code"], body["field"]) == ("empty_window", "toDate")


def test_401_403_and_404_name_what_they_refuse(imbox: ImBox, other_tenant: Tenant) -> None:
    assert _error(imbox.client.get(imbox.url("listTickets", key="fdk_nope")), 401)["field"] == (
        "apiKey"
    )
    wrong_user = _error(imbox.client.get(imbox.url("listTickets", user=other_tenant.id)), 403)
    assert (wrong_user["code"], wrong_user["field"]) == ("wrong_user", "userId")
    scopeless = imbox.url("insertTicket", key=imbox.read_key)
    missing = _error(imbox.client.post(scopeless, json=imbox.body()), 403)
    assert (missing["code"], missing["field"]) == ("missing_scope", "apiKey")
    assert _error(imbox.get("grabTicket", 2_000_000_000), 404)["field"] == "ticketId"
    unknown_path = _error(imbox.client.get("/message/nothingHere"), 404)
    assert unknown_path["field"] is None
