"""ImBox query strings as common clients send them: cache busters and other unknown
parameters are ignored, blank optional parameters are absent, axios' `name[]=` array form
works for repeatable ones; wrong values are still a 400. Each case was a 400 before."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.helpers import open_many
from tests.dialects.imbox.conftest import ImBox


def _ids(imbox: ImBox, query: str) -> list[int]:
    response = imbox.client.get(imbox.url("listTickets") + query)
    assert response.status_code == 200, response.text
    return [row["ticketID"] for row in response.json()["json"]]


def test_unknown_parameters_and_blanks_are_ignored(imbox: ImBox) -> None:
    made = [ticket.id for ticket in open_many(imbox.tenant, 3)]
    assert _ids(imbox, "") == made
    assert _ids(imbox, "?_=1700000000000") == made  # jQuery's cache buster
    assert _ids(imbox, "?limit=2&_=123&utm_source=x") == made[:2]
    assert _ids(imbox, "?status=&fromEmail=&label=&updatedAfter=&limit=") == made
    assert _ids(imbox, "?status=new&status=") == made  # a blank does not count as a repeat


def test_the_array_form_of_a_repeatable_parameter(imbox: ImBox) -> None:
    made = [
        imbox.open("A", labels=("vip",)),
        imbox.open("B"),
        imbox.open("C", labels=("billing",)),
    ]
    assert _ids(imbox, "?label[]=vip") == [made[0]]
    assert _ids(imbox, "?label[]=vip&label[]=billing") == [made[0], made[2]]
    assert _ids(imbox, "?label=vip&label[]=billing") == [made[0], made[2]]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?status=open", "invalid_status", "status"),
        ("?limit=0&_=1", "invalid_limit", "limit"),
        ("?limit=1&limit=2", "repeated_parameter", "limit"),
        ("?fromEmail=nobody", "invalid_email", "fromEmail"),
    ],
)
def test_wrong_values_are_still_refused(imbox: ImBox, query: str, code: str, field: str) -> None:
    response = imbox.client.get(imbox.url("listTickets") + query)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], body["field"]) == (code, field)


def test_list_tickets_emails_ignores_cache_busters(imbox: ImBox) -> None:
    query = "?startTime=2020-01-01&endTime=2020-01-02&_=1&timezone=&limit="
    response = imbox.client.get(imbox.url("listTicketsEmails") + query)
    assert response.status_code == 200, response.text
    assert response.json()["json"] == []


def test_a_cursor_past_any_row_is_the_end_not_a_database_error(imbox: ImBox) -> None:
    """Found by schemathesis: a cursorId over 32 bits was a 500 on PostgreSQL."""
    open_many(imbox.tenant, 2)
    assert _ids(imbox, "?cursorId=34419490768166584") == []
    query = "?startTime=2020-01-01&endTime=2030-01-01&cursorId=99999999999&cursorCreated=1"
    response = imbox.client.get(imbox.url("listTicketsEmails") + query)
    assert response.status_code == 200, response.text
    assert response.json()["json"] == []
