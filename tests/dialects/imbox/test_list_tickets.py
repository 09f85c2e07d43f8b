"""listTickets: the spec's example, every filter, and keyset paging under concurrent writes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from frontdesk.core import tickets
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import Status
from frontdesk.storage.tickets import listing as queries
from tests.core.helpers import open_many
from tests.dialects.imbox.conftest import ImBox

JAN1 = 1_577_836_800_000  # 2020-01-01T00:00:00.000Z
DAY = 86_400_000
BASE = "http://frontdesk.test"


def test_the_spec_example(imbox: ImBox) -> None:
    first = imbox.open(
        "Re: Booking", inbox_id=imbox.support.id, labels=("label2", "label1"), status=Status.PENDING
    )
    second = imbox.open("My booking", inbox_id=imbox.info.id)
    imbox.open("Later")
    for ticket_id in (first, second):
        imbox.set_times(ticket_id, created=JAN1, updated=JAN1)

    response = imbox.get("listTickets", updatedAfter="2020-01-01", limit=2)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    sid = imbox.tenant.id
    dates = {
        "createdDate": "2020-01-01T00:00:00.000Z",
        "updatedDate": "2020-01-01T00:00:00.000Z",
        "latestUpdated": "2020-01-01T00:00:00.000Z",
    }
    assert response.json() == {
        "result": "success",
        "json": [
            {
                "sid": sid,
                "inboxName": "Support",
                "ticketID": first,
                "status": "pending",
                "subject": "Re: Booking",
                "fromEmail": "john.doe@example.org",
                "labels": ["label1", "label2"],
                **dates,
            },
            {
                "sid": sid,
                "inboxName": "Info",
                "ticketID": second,
                "status": "new",
                "subject": "My booking",
                "fromEmail": "john.doe@example.org",
                "labels": [],
                **dates,
            },
        ],
        "length": 2,
        "next": f"{BASE}/message/listTickets/{imbox.key}/{sid}"
        f"?updatedAfter=2020-01-01&limit=2&cursorId={second}&cursorUpdated={JAN1}",
    }


def _all_pages(imbox: ImBox, between: Any = None, **params: Any) -> list[list[int]]:
    """Follow `next` to the end; `between(page_number)` runs between pages."""
    pages: list[list[int]] = []
    response = imbox.get("listTickets", **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["length"] == len(body["json"])
        pages.append([row["ticketID"] for row in body["json"]])
        if "next" not in body:
            return pages
        assert body["next"].startswith(BASE + "/message/listTickets/")
        if between is not None:
            between(len(pages))
        response = imbox.client.get(body["next"].removeprefix(BASE))


def test_next_is_absent_on_the_last_page_and_pages_cover_everything_once(imbox: ImBox) -> None:
    ids = [imbox.open(f"T{i}", sender=f"c{i}@example.org") for i in range(7)]
    pages = _all_pages(imbox, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [ticket_id for page in pages for ticket_id in page] == ids
    assert _all_pages(imbox, limit=7) == [ids]


def test_paging_never_skips_or_repeats_while_tickets_change(imbox: ImBox) -> None:
    """Updates push `updated` past the cursor and new tickets appear mid-walk: every ticket
    that existed throughout is still listed exactly once."""
    ids = [imbox.open(f"T{i}", sender=f"c{i}@example.org") for i in range(10)]
    created: list[int] = []

    def churn(page: int) -> None:
        with imbox.services.store.write() as uow:
            actor = imbox.tenant.actor
            # one already listed, one not yet listed, and a status change
            tickets.add_message(uow, actor, ids[0], NewMessage(body_text=f"again {page}"))
            tickets.add_message(uow, actor, ids[-1], NewMessage(body_text=f"more {page}"))
            tickets.set_status(uow, actor, ids[page + 3], Status.ON_HOLD)
        created.append(imbox.open(f"new {page}", sender=f"n{page}@example.org"))

    pages = _all_pages(imbox, between=churn, limit=3, updatedAfter="2020-01-01")
    seen = [ticket_id for page in pages for ticket_id in page]
    assert len(seen) == len(set(seen))
    assert seen[: len(ids)] == ids
    assert set(seen) - set(ids) <= set(created)


def _listed(imbox: ImBox, **params: Any) -> list[int]:
    response = imbox.get("listTickets", **params)
    assert response.status_code == 200, response.text
    return [row["ticketID"] for row in response.json()["json"]]


@pytest.mark.parametrize("narrow", [1000, 0], ids=["window-by-ids", "window-while-walking"])
def test_date_filters_are_inclusive_and_take_dates_or_date_times(
    imbox: ImBox, monkeypatch: pytest.MonkeyPatch, narrow: int
) -> None:
    monkeypatch.setattr(queries, "NARROW_WINDOW", narrow)
    a, b, c = (imbox.open(f"T{i}", sender=f"c{i}@example.org") for i in range(3))
    imbox.set_times(a, created=JAN1, updated=JAN1, latest=JAN1)
    imbox.set_times(b, created=JAN1, updated=JAN1 + DAY, latest=JAN1 + 2 * DAY)
    imbox.set_times(c, created=JAN1, updated=JAN1 + DAY + 1, latest=JAN1 + 3 * DAY - 1)

    assert _listed(imbox, updatedAfter="2020-01-02") == [b, c]
    assert _listed(imbox, updatedBefore="2020-01-01") == [a]
    assert _listed(imbox, updatedBefore="2020-01-02T00:00:00.000Z") == [a, b]
    assert _listed(imbox, updatedAfter="2020-01-02T00:00:00.001Z") == [c]
    assert _listed(imbox, updatedAfter="2020-01-02T01:00:00+01:00") == [b, c]
    assert _listed(imbox, updatedAfter="2020-01-02T01:00:00 01:00") == [b, c]  # unencoded +
    assert _listed(imbox, updatedAfter="2020-01-01T00:00:00") == [a, b, c]  # naive is UTC
    assert _listed(imbox, latestUpdatedAfter="2020-01-03", latestUpdatedBefore="2020-01-03") == [
        b,
        c,
    ]
    assert _listed(imbox, latestUpdatedBefore="2020-01-02") == [a]


def test_from_email_status_and_labels(imbox: ImBox) -> None:
    ann = imbox.open("A", sender="Ann@Example.org", labels=("vip", "billing"))
    bob = imbox.open("B", sender="bob@example.org", labels=("billing",), status=Status.SOLVED)
    cid = imbox.open("C", sender="cid@example.org", labels=("other",))

    assert _listed(imbox, fromEmail="ann@example.org") == [ann]
    assert _listed(imbox, fromEmail="nobody@example.org") == []
    assert _listed(imbox, status="solved") == [bob]
    assert _listed(imbox, status="new") == [ann, cid]
    assert _listed(imbox, label=["vip", "other"]) == [ann, cid]
    assert _listed(imbox, label="billing", status="new") == [ann]
    response = imbox.get("listTickets", label=["vip", "other"], limit=1)
    assert "label=vip&label=other&limit=1&cursorId=" in response.json()["next"]


def test_other_accounts_tickets_are_never_listed(imbox: ImBox, other_tenant: Any) -> None:
    mine = imbox.open("mine")
    from tests.core.helpers import open_ticket

    open_ticket(other_tenant)
    assert _listed(imbox) == [mine]


def test_a_page_is_a_fixed_number_of_queries(imbox: ImBox) -> None:
    for i in range(12):
        imbox.open(f"T{i}", sender=f"c{i}@example.org", labels=(f"l{i}", "common"))
    imbox.get("listTickets", limit=1)  # the key's last_used stamp is written once

    def statements(limit: int) -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(args[2])

        event.listen(imbox.services.store.engine, "before_cursor_execute", count)
        try:
            assert len(_listed(imbox, limit=limit)) == limit
        finally:
            event.remove(imbox.services.store.engine, "before_cursor_execute", count)
        return len([sql for sql in seen if sql.lstrip().upper().startswith("SELECT")])

    assert statements(2) == statements(12)
    # authentication (1) + the page with inbox and requester joined (1) + labels (1)
    assert statements(12) == 3


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "-1"}, "invalid_limit"),
        ({"limit": "abc"}, "invalid_limit"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "1001"}, "invalid_limit"),
        ({"limit": "9" * 40}, "invalid_limit"),
        ({"limit": "1.5"}, "invalid_limit"),
        ({"updatedAfter": "yesterday"}, "invalid_date"),
        ({"updatedBefore": "2020-13-01"}, "invalid_date"),
        ({"latestUpdatedAfter": "2020-01-01T25:00"}, "invalid_date"),
        ({"latestUpdatedBefore": "2020-02-30"}, "invalid_date"),
        ({"updatedAfter": "2020-01-02", "updatedBefore": "2020-01-01"}, "empty_window"),
        ({"status": "open"}, "invalid_status"),
        ({"status": "NEW"}, "invalid_status"),
        ({"fileType": "xml"}, "invalid_file_type"),
        ({"fromEmail": "not an address"}, "invalid_email"),
        ({"cursorId": "-5"}, "invalid_integer"),
        ({"cursorId": "x"}, "invalid_integer"),
        ({"cursorUpdated": "123"}, "invalid_cursor"),
        ({"limit": ["1", "2"]}, "repeated_parameter"),
    ],
)
def test_bad_query_parameters_are_a_400_in_the_imbox_envelope(
    imbox: ImBox, params: dict[str, Any], code: str
) -> None:
    response = imbox.get("listTickets", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["result"] == "error"
    assert body["code"] == code
    assert body["message"]
    assert imbox.key not in response.text


def test_limit_default_and_maximum(imbox: ImBox) -> None:
    # One row more than the documented default, so that any other default shows. The
    # numbers are written out: taken from the code, a changed default would pass.
    default, maximum = 100, 1000
    made = [ticket.id for ticket in open_many(imbox.tenant, default + 1)]
    first = imbox.get("listTickets").json()
    assert [row["ticketID"] for row in first["json"]] == made[:default]
    assert first["length"] == default
    after = f"/message/listTickets/{imbox.key}/{imbox.tenant.id}?cursorId={made[default - 1]}&"
    assert first["next"].startswith(BASE + after)
    rest = imbox.client.get(first["next"].removeprefix(BASE)).json()
    assert [row["ticketID"] for row in rest["json"]] == made[default:]
    assert "next" not in rest
    everything = imbox.get("listTickets", limit=maximum).json()
    assert everything["length"] == default + 1 and "next" not in everything
    assert imbox.get("listTickets", limit=maximum + 1).status_code == 400
