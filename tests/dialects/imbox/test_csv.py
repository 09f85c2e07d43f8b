"""fileType=csv: a header row, RFC 4180 quoting, no formulas, every row streamed in batches."""

from __future__ import annotations

import csv
import io

import pytest

from frontdesk.api.common.tabular import cell
from frontdesk.api.imbox import routes
from frontdesk.core.tickets import NewMessage
from tests.dialects.imbox.conftest import ImBox


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_tickets_csv_streams_every_matching_row_in_keyset_batches(
    imbox: ImBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "CSV_BATCH", 2)  # several batches from a handful of rows
    ids = [
        imbox.open('=HYPERLINK("http://evil")', sender="a@example.org", labels=("x", "y")),
        imbox.open('Quote " and, comma\nnewline', sender="b@example.org"),
        imbox.open("+1", sender="c@example.org", inbox_id=imbox.support.id),
        imbox.open("-2", sender="d@example.org"),
        imbox.open("@sum", sender="e@example.org"),
    ]
    response = imbox.get("listTickets", fileType="csv", limit=1)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="tickets.csv"'
    assert response.text.endswith("\r\n")
    rows = _table(response.text)
    assert rows[0] == [
        "sid", "inboxName", "ticketID", "status", "subject", "fromEmail", "labels",
        "createdDate", "updatedDate", "latestUpdated",
    ]  # fmt: skip
    assert [int(row[2]) for row in rows[1:]] == ids  # all rows: limit does not apply to CSV
    assert [row[4] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        'Quote " and, comma\nnewline',
        "'+1",
        "'-2",
        "'@sum",
    ]
    assert rows[1][6] == "x, y"
    assert rows[3][1] == "Support"
    assert rows[1][7].endswith("Z")
    after = imbox.get("listTickets", fileType="csv", cursorId=ids[2], status="new")
    assert [int(row[2]) for row in _table(after.text)[1:]] == ids[3:]


def test_an_empty_csv_is_just_the_header(imbox: ImBox) -> None:
    response = imbox.get("listTickets", fileType="csv")
    assert _table(response.text) == [list(routes.tr.TICKET_COLUMNS)]


def test_emails_csv(imbox: ImBox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "CSV_BATCH", 1)
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
