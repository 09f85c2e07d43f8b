"""listTicketsEmails: the spec's example, time zones, paging under writes, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import MessageKind
from tests.dialects.imbox.conftest import ImBox

BASE = "http://frontdesk.test"
JAN1 = 1_577_836_800_000  # 2020-01-01T00:00:00.000Z, 01:00 in Stockholm
HOUR = 3_600_000


def _write(imbox: ImBox, ticket_id: int, **fields: Any) -> int:
    with imbox.services.store.write() as uow:
        return tickets.add_message(uow, imbox.tenant.actor, ticket_id, NewMessage(**fields)).id


def test_the_spec_example(imbox: ImBox) -> None:
    actor = imbox.tenant.actor
    with imbox.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, actor, "Company Support", imbox.tenant.address("cs"))
        agent = accounts.create_agent(
            uow, actor, AgentFields(name="agent", email="agent@example.org")
        )
        agent2 = accounts.create_agent(
            uow, actor, AgentFields(name="Agent 2", email="agent2@example.org")
        )
    early = NewMessage(body_text="Hi", created=JAN1 - 48 * HOUR)  # before the window
    first = imbox.open("One", sender="customer@example.org", inbox_id=inbox.id, message=early)
    second = imbox.open(
        "Two", sender="another-customer@example.org", inbox_id=inbox.id, message=early
    )
    _write(
        imbox, first, body_text="a", agent_id=agent.id, to=("customer@example.org",), created=JAN1
    )
    cursor = _write(
        imbox,
        second,
        body_text="b",
        agent_id=agent2.id,
        to=("another-customer@example.org",),
        cc=("ccd@example.org",),
        created=JAN1,
    )
    _write(
        imbox, first, body_text="note", kind=MessageKind.INTERNAL, agent_id=agent.id, created=JAN1
    )
    _write(
        imbox,
        first,
        body_text="c",
        agent_id=agent.id,
        to=("customer@example.org",),
        created=JAN1 + HOUR,
    )

    response = imbox.get("listTicketsEmails", startTime="2020-01-01", endTime="2020-01-02", limit=2)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "result": "success",
        "json": [
            {
                "createdDate": "2020-01-01T00:00:00.000Z",
                "inboxName": "Company Support",
                "from": {"address": "agent@example.org", "name": "agent"},
                "ticketID": first,
                "agentID": agent.id,  # Frontdesk's addition: who wrote it
                "to": [{"address": "customer@example.org"}],
                "cc": [],
                "bcc": [],
            },
            {
                "createdDate": "2020-01-01T00:00:00.000Z",
                "inboxName": "Company Support",
                "from": {"address": "agent2@example.org", "name": "Agent 2"},
                "ticketID": second,
                "agentID": agent2.id,
                "to": [{"address": "another-customer@example.org"}],
                "cc": [{"address": "ccd@example.org"}],
                "bcc": [],
            },
        ],
        "next": f"{BASE}/message/listTicketsEmails/{imbox.key}/{imbox.tenant.id}"
        f"?startTime=2020-01-01&endTime=2020-01-02&limit=2&cursorId={cursor}&cursorCreated={JAN1}",
        "length": 2,
    }
    last = imbox.client.get(response.json()["next"].removeprefix(BASE)).json()
    assert [row["createdDate"] for row in last["json"]] == ["2020-01-01T01:00:00.000Z"]
    assert "next" not in last


def test_times_are_read_in_the_time_zone(imbox: ImBox) -> None:
    ticket_id = imbox.open("T", message=NewMessage(body_text="x", created=JAN1 - 48 * HOUR))
    late = JAN1 + 23 * HOUR + 30 * 60_000  # 23:30Z on Jan 1 is 00:30 on Jan 2 in Stockholm
    _write(imbox, ticket_id, body_text="late", created=late)

    def count(**params: Any) -> int:
        response = imbox.get("listTicketsEmails", **params)
        assert response.status_code == 200, response.text
        return int(response.json()["length"])

    assert count(startTime="2020-01-02", endTime="2020-01-02") == 1
    assert count(startTime="2020-01-02", endTime="2020-01-02", timezone="UTC") == 0
    assert count(startTime="2020-01-01", endTime="2020-01-01", timezone="UTC") == 1
    assert count(startTime="2020-01-02T00:30:00", endTime="2020-01-02T00:30:00") == 1
    assert count(startTime="2020-01-01T23:30:00Z", endTime="2020-01-01T23:30:00Z") == 1
    assert count(startTime="2020-01-02T00:30:00.001", endTime="2020-01-03") == 0


def test_paging_never_skips_or_repeats_while_mail_arrives(imbox: ImBox) -> None:
    ticket_id = imbox.open("T", message=NewMessage(body_text="first", created=JAN1))
    ids = [_write(imbox, ticket_id, body_text=f"m{i}", created=JAN1 + i) for i in range(8)]
    response = imbox.get("listTicketsEmails", startTime="2020-01-01", endTime="2100-01-01", limit=3)
    seen: list[str] = []
    while True:
        body = response.json()
        seen.extend(row["createdDate"] for row in body["json"])
        if "next" not in body:
            break
        _write(imbox, ticket_id, body_text="arrived meanwhile")
        response = imbox.client.get(body["next"].removeprefix(BASE))
    assert len(seen) == len(ids) + 1 + 3  # the opening message, the 8, one per page turn
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"endTime": "2020-01-02"}, "required"),
        ({"startTime": "2020-01-01"}, "required"),
        ({"startTime": "", "endTime": "2020-01-02"}, "required"),
        ({"startTime": "2020-01-01", "endTime": "soon"}, "invalid_date"),
        ({"startTime": "2020-01-03", "endTime": "2020-01-02"}, "empty_window"),
        (
            {"startTime": "2020-01-01", "endTime": "2020-01-02", "timezone": "Mars/Olympus"},
            "unknown_timezone",
        ),
        (
            {"startTime": "2020-01-01", "endTime": "2020-01-02", "timezone": "../../etc/passwd"},
            "unknown_timezone",
        ),
        ({"startTime": "2020-01-01", "endTime": "2020-01-02", "limit": "-1"}, "invalid_limit"),
        ({"startTime": "2020-01-01", "endTime": "2020-01-02", "cursorId": "5"}, "invalid_cursor"),
        (
            {"startTime": "2020-01-01", "endTime": "2020-01-02", "cursorCreated": "x"},
            "invalid_integer",
        ),
        (
            {"startTime": "2020-01-01", "endTime": "2020-01-02", "fileType": "pdf"},
            "invalid_file_type",
        ),
    ],
)
def test_bad_parameters_are_a_400_in_the_imbox_envelope(
    imbox: ImBox, params: dict[str, Any], code: str
) -> None:
    response = imbox.get("listTicketsEmails", **params)
    assert response.status_code == 400, response.text
    assert response.json()["result"] == "error"
    assert response.json()["code"] == code
