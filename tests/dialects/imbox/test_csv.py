"""fileType=csv: a header row, RFC 4180 quoting, no formulas, every row streamed in batches."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from starlette.datastructures import QueryParams

from frontdesk.api.common.tabular import cell
from frontdesk.api.imbox import routes
from frontdesk.api.imbox import translate as out
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import ListedEmail, ListedTicket
from tests.core.helpers import open_ticket
from tests.dialects.imbox.conftest import ImBox


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_tickets_csv_pages_by_limit_with_the_next_page_in_a_link_header(imbox: ImBox) -> None:
    """`limit` cuts a CSV as it cuts JSON (all rows came, whatever the limit, before), and
    the next page is the same URL JSON's `next` gives, in `Link: <...>; rel="next"`."""
    ids = [
        imbox.open('=HYPERLINK("http://evil")', sender="a@example.org", labels=("x", "y")),
        imbox.open('Quote " and, comma\nnewline', sender="b@example.org"),
        imbox.open("+1", sender="c@example.org", inbox_id=imbox.support.id),
        imbox.open("-2", sender="d@example.org"),
        imbox.open("@sum", sender="e@example.org"),
    ]
    response = imbox.get("listTickets", fileType="csv", limit=2)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="tickets.csv"'
    assert response.text.endswith("\r\n")
    rows = _table(response.text)
    assert rows[0] == [
        "sid", "inboxName", "ticketID", "status", "subject", "fromEmail", "labels",
        "createdDate", "updatedDate", "latestUpdated",
    ]  # fmt: skip
    assert [int(row[2]) for row in rows[1:]] == ids[:2]
    json_next = imbox.get("listTickets", limit=2).json()["next"]
    # The URL JSON's `next` gives, with the client's own parameters (fileType too).
    same = json_next.replace("?limit=2", "?fileType=csv&limit=2")
    assert response.headers["link"] == f'<{same}>; rel="next"'
    walked, cells = [], []
    url: str | None = response.headers["link"][1:].split(">", 1)[0]
    walked += [int(row[2]) for row in rows[1:]]
    cells += rows[1:]
    while url:
        page = imbox.client.get(url.removeprefix("http://frontdesk.test"))
        assert page.status_code == 200, page.text
        more = _table(page.text)[1:]
        assert len(more) <= 2
        walked += [int(row[2]) for row in more]
        cells += more
        link = page.headers.get("link")
        url = link[1:].split(">", 1)[0] if link else None
    assert walked == ids  # every ticket once, in order, the last page without a Link
    assert [row[4] for row in cells] == [
        '\'=HYPERLINK("http://evil")',
        'Quote " and, comma\nnewline',
        "'+1",
        "'-2",
        "'@sum",
    ]
    assert cells[0][6] == "x, y"
    assert cells[2][1] == "Support"
    assert cells[0][7].endswith("Z")
    after = imbox.get("listTickets", fileType="csv", cursorId=ids[2], status="new")
    assert [int(row[2]) for row in _table(after.text)[1:]] == ids[3:]
    assert "link" not in after.headers


def test_a_csv_without_limit_is_the_whole_export_streamed_in_batches(
    imbox: ImBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "CSV_BATCH", 2)  # several batches from a handful of rows
    ids = [imbox.open(f"T{n}", sender=f"{n}@example.org") for n in range(5)]
    response = imbox.get("listTickets", fileType="csv")
    assert [int(row[2]) for row in _table(response.text)[1:]] == ids
    assert "link" not in response.headers


def test_an_empty_csv_is_just_the_header(imbox: ImBox) -> None:
    response = imbox.get("listTickets", fileType="csv")
    assert _table(response.text) == [list(routes.tr.TICKET_COLUMNS)]


def test_emails_csv(imbox: ImBox) -> None:
    first = imbox.open(
        "A", sender="a@example.org", message=NewMessage(body_text="x", from_name="-Ann")
    )
    imbox.open("B", sender="b@example.org", inbox_id=imbox.support.id)
    response = imbox.get(
        "listTicketsEmails", startTime="2000-01-01", endTime="2100-01-01", fileType="csv"
    )
    assert response.status_code == 200
    rows = _table(response.text)
    assert rows[0] == [
        "createdDate",
        "inboxName",
        "fromAddress",
        "fromName",
        "ticketID",
        "to",
        "cc",
        "bcc",
        "unverifiedSender",
    ]
    assert len(rows) == 3
    assert rows[1][2:5] == ["a@example.org", "'-Ann", str(first)]
    assert rows[2][1] == "Support"
    assert [row[8] for row in rows[1:]] == ["false", "false"]
    assert "link" not in response.headers
    one = imbox.get(
        "listTicketsEmails", startTime="2000-01-01", endTime="2100-01-01", fileType="csv", limit=1
    )
    assert len(_table(one.text)) == 2  # limit cuts the CSV too
    assert one.headers["link"].endswith('>; rel="next"') and "cursorCreated=" in one.headers["link"]


def test_bad_parameters_are_refused_before_streaming(imbox: ImBox) -> None:
    response = imbox.get(
        "listTickets", fileType="csv", updatedAfter="2020-01-02", updatedBefore="2020-01-01"
    )
    assert response.status_code == 400
    assert response.json()["result"] == "error"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (-5, -5),
    ],
)
def test_cells_cannot_start_a_formula(value: object, expected: object) -> None:
    assert cell(value) == expected


def test_an_email_row_has_its_time_addresses_and_whether_the_sender_was_verified() -> None:
    email = ListedEmail(
        id=1, ticket_id=9, created=1_577_836_800_007, from_email="ann@example.org",
        from_name="Ann", to=("a@example.org", "b@example.org"), cc=(), bcc=("c@example.org",),
        inbox_name="Desk", unverified=True,
    )  # fmt: skip
    assert out.email_cells(email) == [
        "2020-01-01T00:00:00.007Z", "Desk", "ann@example.org", "Ann", 9,
        "a@example.org, b@example.org", "", "c@example.org", "true",
    ]  # fmt: skip
    assert out.email_cells(replace(email, unverified=False))[-1] == "false"


def test_an_email_as_json_keeps_its_blind_copies_and_the_unverified_mark() -> None:
    email = ListedEmail(
        id=1, ticket_id=9, created=0, from_email="ann@example.org", from_name=None, to=(),
        cc=(), bcc=("c@example.org",), inbox_name=None, unverified=True,
    )  # fmt: skip
    shown = out.email(email)
    assert [a.address for a in shown.bcc] == ["c@example.org"]
    assert shown.unverifiedSender is True


def test_a_ticket_row_has_its_three_times(imbox: ImBox) -> None:
    record = replace(
        open_ticket(imbox.tenant), created=1_000, updated=2_000_002, latest_activity=3_000_003
    )
    cells = out.ticket_cells(ListedTicket(record, "Desk", "a@example.org", ("x", "y")))
    assert cells[-4:] == [
        "x, y",
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:33:20.002Z",
        "1970-01-01T00:50:00.003Z",
    ]


def test_attachment_urls_escape_the_key_and_user_whole() -> None:
    url = out.attachment_url("http://b", "k/ey+1", "u/1", 5)
    assert url == "http://b/message/attachment/k%2Fey%2B1/u%2F1/5"


def test_the_next_page_url_escapes_path_segments_and_moves_only_the_cursor() -> None:
    params = QueryParams("limit=2&status=open&cursorId=1&status=reply")
    url = out.next_url("http://b", ["listTickets", "k/ey", "7"], params, {"cursorId": "5"})
    assert (
        url == "http://b/message/listTickets/k%2Fey/7?limit=2&status=open&status=reply&cursorId=5"
    )
