"""Pure parts of the v3 dialect: status words both ways, hashes, ranges, CSV, rate limits."""

from __future__ import annotations

import pytest

from frontdesk.api.v3 import schemas as s
from frontdesk.api.v3 import translate as out
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.customers import Reply
from frontdesk.core.tickets.records import (
    OPEN_STATUSES,
    CustomerTicket,
    Message,
    MessageKind,
    Status,
)
from frontdesk.http.ratelimit import SlidingWindowLimiter, retry_after
from tests.conftest import Tenant
from tests.core.helpers import open_ticket


@pytest.mark.parametrize(
    ("status", "force", "word"),
    [
        (Status.NEW, False, "open"),
        (Status.REPLY, False, "open"),
        (Status.PENDING, False, "open"),
        (Status.ON_HOLD, False, "open"),
        (Status.SOLVED, False, "closed"),
        (Status.CLOSED, False, "closed"),
        (Status.CLOSED, True, "force-closed"),
    ],
)
def test_core_status_to_v3_word(status: Status, force: bool, word: str) -> None:
    assert out.status_word(status, force) == word


def test_v3_words_to_core_and_back() -> None:
    assert out.status_for("open") is Status.REPLY
    assert out.status_for("closed") is Status.CLOSED
    for word in ("open", "closed"):
        assert out.status_word(out.status_for(word), False) == word
    assert out.status_for("open") in OPEN_STATUSES
    for word in ("force-closed", "pending", "OPEN", ""):
        with pytest.raises(Invalid):
            out.status_for(word)


def test_every_core_status_has_a_word() -> None:
    for status in Status:
        for force in (False, True):
            assert out.status_word(status, force) in out.WORDS


def test_hashes_are_stable_distinct_and_keyed() -> None:
    uuid = "0b5d3f0e-8f43-4d4e-9a55-8d8cfa3c2f11"
    first = out.ticket_hash("secret", uuid)
    assert first == out.ticket_hash("secret", uuid)
    assert len(first) == out.HASH_LENGTH and int(first, 16) >= 0
    assert out.ticket_hash("secret", uuid, read=True) != first
    assert out.ticket_hash("other secret", uuid) != first
    assert out.ticket_hash("secret", uuid.replace("0b", "0c")) != first


def test_unix_seconds() -> None:
    assert out.seconds(None) is None
    assert out.seconds(1_700_000_000_999) == 1_700_000_000


@pytest.mark.parametrize(
    ("header", "start", "results"),
    [
        (None, 0, 25),
        ("", 0, 25),
        ("   ", 0, 25),
        ("start=0,results=25", 0, 25),
        ("start=10", 10, 25),
        ("results=100", 0, 100),
        (" start = 5 , results = 1 ", 5, 1),
        ("RESULTS=3,Start=2", 2, 3),
        ("start=100000,results=1", 100_000, 1),
    ],
)
def test_ranged_data_is_read(header: str | None, start: int, results: int) -> None:
    assert s.parse_range(header) == s.Range(start, results)


@pytest.mark.parametrize(
    "header",
    [
        "start=0;results=25",
        "start=0,results=25,",
        "start=-1",
        "start=1.5",
        "start=,results=2",
        "start=0,start=1",
        "offset=0",
        "results=0",
        "results=101",
        "start=100001",
        "start=9999999999",
        "start=0x10",
        "start=0,results=25,total=3",
        "bytes=0-24",
    ],
)
def test_malformed_ranged_data_is_refused(header: str) -> None:
    with pytest.raises(Invalid) as caught:
        s.parse_range(header)
    assert caught.value.code == "invalid_range" and caught.value.field == "RANGED-DATA"


def test_range_header_and_csv() -> None:
    assert s.range_header(25, 3, 28) == "start=25,results=3,total=28"
    assert s.split_csv(" a@example.com, ,b@example.org,") == ("a@example.com", "b@example.org")
    assert s.split_csv("") == ()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_limits_each_key() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 60, clock=clock)
    assert [limiter.attempt("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.attempt("a") == pytest.approx(60)
    assert limiter.attempt("b") == 0.0
    clock.now += 30
    assert limiter.attempt("a") == pytest.approx(30)
    clock.now += 30  # the first three attempts leave the window together
    assert limiter.attempt("a") == 0.0
    assert retry_after(0.2) == "1" and retry_after(29.01) == "30"


def test_sliding_window_memory_is_bounded() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 60, clock=clock, max_keys=10)
    for n in range(25):
        limiter.attempt(f"10.0.0.{n}")
    assert len(limiter._hits) <= 10
    assert limiter.attempt("10.0.0.24") > 0  # the most recent keys are kept
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 60)


def test_a_customer_asking_for_another_status_word_is_told_which() -> None:
    with pytest.raises(Invalid) as raised:
        out.status_for("x" * 50)
    assert raised.value.code == "invalid_status"
    assert raised.value.message == f"A customer cannot set the status {'x' * 40!r}"


def test_an_attachment_as_json_is_its_base64_string_never_cached_or_sniffed() -> None:
    response = out.attachment_json(b"\x00\xffhi")
    assert response.body == b'"AP9oaQ=="'
    assert response.media_type == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, max-age=0"
    assert response.headers["vary"] == "Accept"


def test_a_reply_keeps_its_time_in_seconds_its_author_and_an_unverified_sender() -> None:
    message = Message(
        id=5, uuid="m-5", account_id=1, ticket_id=2, kind=MessageKind.EXTERNAL, agent_id=None,
        contact_id=3, from_email="ann@example.org", from_name="Ann", to=(), cc=(), bcc=(),
        body_text="Hello", body_html="<p>Hello</p>", email_message_id=None,
        created=1_700_000_001_999, unverified=True,
    )  # fmt: skip
    shown = out.reply(Reply(message=message, by_agent=False, attachments=()))
    assert (shown.id, shown.content, shown.createdAt) == (5, "Hello", 1_700_000_001)
    assert (shown.author, shown.authorName, shown.unverifiedSender) == ("customer", "Ann", True)
    assert shown.attachments == []


@pytest.mark.parametrize(
    ("accept", "json"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("text/html, application/json; q=0.5", True),
        ("application/json;q=0.5", True),
        ("application/json;q=0", False),
        ("application/json; Q=0", False),
        ("application/json;q=soon", True),  # a quality we cannot read does not refuse JSON
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_json_is_chosen_only_when_named_with_a_quality_above_zero(
    accept: str | None, json: bool
) -> None:
    assert out.wants_json(accept) is json


def test_a_ticket_without_a_category_shows_an_empty_category_name(tenant: Tenant) -> None:
    record = open_ticket(tenant)
    assert record.category_id is None
    shown = out.ticket(CustomerTicket(ticket=record, category_name=None, user_replies=0), "k")
    assert shown.categoryName == ""
    assert (shown.createdAt, shown.updatedAt) == (record.created // 1000, record.updated // 1000)
