"""chatStatistics: the figures' definitions, every filter, the 365-day limit, CSV, timezone."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from frontdesk.core.chat.records import VisitorInfo
from frontdesk.storage import tables as t
from tests.dialects.imbox_chat.conftest import MINUTE, T0, ImBoxChat

START = "2026-01-01T00:00:00.000Z"
END = "2026-01-31T00:00:00.000Z"
KEYS = {
    "channel",
    "agentName",
    "agentEmail",
    "referral",
    "searchEngine",
    "exitPage",
    "browser",
    "os",
    "city",
    "country",
    "labels",
    "tags",
    "duration",
    "rating",
    "responseTime",
    "startedAt",
}


def _stats(imchat: ImBoxChat, **params: object) -> list[dict[str, object]]:
    response = imchat.get("chatStatistics", **{"startTime": START, "endTime": END, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == "success" and body["length"] == len(body["json"])
    for row in body["json"]:
        assert set(row) == KEYS
    rows: list[dict[str, object]] = body["json"]
    return rows


def _answered_chat(imchat: ImBoxChat, at: int) -> str:
    info = VisitorInfo(traffic_type="www.referral-domain.com", browser="Chrome 50.0.0", os="OS X")
    public_id = imchat.visitor(at - MINUTE, "https://example.org/pricing", info)
    imchat.write(public_id, at, "visitor", "hello")  # the session starts here
    imchat.write(public_id, at + 2_000, "visitor", "anyone?")
    imchat.write(public_id, at + 5_000, "agent", "hi!")  # responseTime 5000
    imchat.write(public_id, at + 100_000, "visitor", "thanks")  # last message: duration 100000
    imchat.write(public_id, at + 101_000, "close")  # a system message: not in the duration
    imchat.write(public_id, at + 102_000, "rate:4")
    return public_id


def test_figures_are_computed_from_the_messages(imchat: ImBoxChat) -> None:
    answered = _answered_chat(imchat, T0 + MINUTE)
    unanswered = imchat.visitor(T0 + 2 * MINUTE)
    imchat.write(unanswered, T0 + 3 * MINUTE, "visitor", "hello?")
    from frontdesk.core import chat

    with imchat.services.store.write() as uow:
        chat.add_label(uow, imchat.tenant.actor, answered, "label1")
        chat.add_tag(uow, imchat.tenant.actor, answered, "tag1")
        chat.change_name(uow, imchat.tenant.actor, answered, "Not a tag in the stats")

    rows = _stats(imchat)
    assert rows == [
        {
            "channel": answered,
            "agentName": "John Doe",
            "agentEmail": imchat.agent.email,
            "referral": "www.referral-domain.com",
            "searchEngine": "",
            "exitPage": "https://example.org/pricing",
            "browser": "Chrome 50.0.0",
            "os": "OS X",
            "city": "Unknown",
            "country": "Unknown",
            "labels": ["label1"],
            "tags": ["tag1"],
            "duration": 100_000,
            "rating": 4,
            "responseTime": 5_000,
            "startedAt": "2026-01-01T00:01:00.000Z",
        },
        {
            "channel": unanswered,
            "agentName": None,
            "agentEmail": None,
            "referral": "Direct",
            "searchEngine": "",
            "exitPage": "https://example.org/",
            "browser": "",
            "os": "",
            "city": "Unknown",
            "country": "Unknown",
            "labels": [],
            "tags": [],
            "duration": None,
            "rating": None,
            "responseTime": None,
            "startedAt": "2026-01-01T00:03:00.000Z",
        },
    ]


def test_each_chat_of_a_returning_visitor_is_its_own_row(imchat: ImBoxChat) -> None:
    public_id = _answered_chat(imchat, T0 + MINUTE)
    imchat.write(public_id, T0 + 10 * MINUTE, "agent", "proactive hello")  # starts a new chat
    rows = _stats(imchat)
    assert [row["channel"] for row in rows] == [public_id, public_id]
    second = rows[1]
    assert second["responseTime"] is None  # the visitor never wrote in it
    assert second["duration"] == 0 and second["rating"] is None


def test_filters(imchat: ImBoxChat) -> None:
    first = _answered_chat(imchat, T0 + MINUTE)
    second = imchat.visitor(T0 + 2 * MINUTE, "https://shop.example.org/")
    imchat.write(second, T0 + 3 * MINUTE, "visitor")
    imchat.write(second, T0 + 4 * MINUTE, "back", "from the back office")
    late = imchat.visitor(T0 + 40 * 86_400_000)
    imchat.write(late, T0 + 40 * 86_400_000, "visitor")
    from frontdesk.core import chat

    with imchat.services.store.write() as uow:
        shop = chat.create_page_filter(uow, imchat.tenant.actor, "Shop", "shop.example", "like")

    def channels(**params: object) -> list[object]:
        return [row["channel"] for row in _stats(imchat, **params)]

    assert channels() == [first, second]
    assert channels(agentId=str(imchat.agent.id)) == [first]
    assert channels(agentIds=[str(imchat.back_office.id)]) == [second]
    assert channels(agentIds=[str(imchat.agent.id), str(imchat.back_office.id)]) == [first, second]
    # axios' array form (`agentIds[]=1`), a cache buster and blank values: as common
    # clients send them (each a 400 before).
    both = {"agentIds[]": [str(imchat.agent.id), str(imchat.back_office.id)]}
    assert channels(**both) == [first, second]
    assert channels(**{"channels[]": [second], "_": "1700000000", "agentId": ""}) == [second]
    assert channels(channel=second) == [second]
    assert channels(channels=[first, second]) == [first, second]
    assert channels(pageFilterId=str(shop.id)) == [second]
    assert channels(endTime="2026-01-01T00:02:00.000Z") == [first]
    assert channels(startTime="2026-02-01", endTime="2026-02-28") == [late]


def test_timezone_reads_times_without_an_offset(imchat: ImBoxChat) -> None:
    at = T0 + 30 * MINUTE  # 00:30 UTC is 01:30 in Stockholm
    public_id = imchat.visitor(at)
    imchat.write(public_id, at, "visitor")
    window = {"startTime": "2026-01-01T01:00:00", "endTime": "2026-01-01T02:00:00"}
    assert [r["channel"] for r in _stats(imchat, **window, timezone="Europe/Stockholm")] == [
        public_id
    ]
    assert _stats(imchat, **window, timezone="UTC") == []


def test_csv(imchat: ImBoxChat) -> None:
    public_id = _answered_chat(imchat, T0 + MINUTE)
    from frontdesk.core import chat

    with imchat.services.store.write() as uow:
        for word in ("billing", "vip"):
            chat.add_label(uow, imchat.tenant.actor, public_id, word)
            chat.add_tag(uow, imchat.tenant.actor, public_id, f"t-{word}")
    response = imchat.get("chatStatistics", startTime=START, endTime=END, fileType="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "channel" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["channel"], row["duration"], row["responseTime"], row["rating"]) == (
        public_id,
        "100000",
        "5000",
        "4",
    )
    # lists are one cell each, comma-separated, in the order they were added
    assert (row["labels"], row["tags"]) == ("billing, vip", "t-billing, t-vip")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "required"),
        ({"startTime": "yesterday"}, 400, "invalid_date"),
        (
            {"startTime": "2025-01-01T00:00:00Z", "endTime": "2026-01-02T00:00:00Z"},
            400,
            "window_too_long",
        ),
        (
            {"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"},
            400,
            "empty_window",
        ),
        ({"startTime": START, "fileType": "xml"}, 400, "invalid_file_type"),
        ({"startTime": START, "timezone": "Mars/Olympus"}, 400, "unknown_timezone"),
        ({"startTime": START, "agentId": "x"}, 400, "invalid_agent_id"),
        ({"startTime": START, "agentIds": "123456"}, 404, "agent_not_found"),
        ({"startTime": START, "channel": "1"}, 400, "invalid_conversation_id"),
        ({"startTime": START, "pageFilterId": "77777"}, 404, "page_filter_not_found"),
        ({"startTime": START, "channel": ["V1", "V2"]}, 400, "repeated_parameter"),
    ],
)
def test_bad_requests(imchat: ImBoxChat, params: dict[str, object], status: int, code: str) -> None:
    response = imchat.get("chatStatistics", **params)
    body = response.json()
    assert response.status_code == status, body
    assert body["result"] == "error" and body["code"] == code


def test_exactly_365_days_is_allowed(imchat: ImBoxChat) -> None:
    assert _stats(imchat, startTime="2025-01-01T00:00:00Z", endTime="2026-01-01T00:00:00Z") == []


def test_an_unanswered_chat_an_agent_ended_names_that_agent(imchat: ImBoxChat) -> None:
    """The spec's second row: no answer from an agent, yet an agentName. A chat an agent
    closed without joining was handled by that agent (it was null before); one no agent
    ever touched has no agent to name."""
    ended = imchat.visitor(T0 + MINUTE)
    imchat.write(ended, T0 + MINUTE, "visitor")
    imchat.write(ended, T0 + 2 * MINUTE, "close")  # the agent ends it, never writing
    left = imchat.visitor(T0 + 3 * MINUTE)
    imchat.write(left, T0 + 3 * MINUTE, "visitor")
    rows = {row["channel"]: row for row in _stats(imchat)}
    assert rows[ended]["agentName"] == "John Doe"
    assert rows[ended]["agentEmail"] == imchat.agent.email
    assert rows[ended]["duration"] is None and rows[ended]["responseTime"] is None
    assert rows[left]["agentName"] is None
    assert [row["channel"] for row in _stats(imchat, agentId=str(imchat.agent.id))] == [ended]


def test_a_chat_whose_exit_page_is_unknown_shows_an_empty_one(imchat: ImBoxChat) -> None:
    public_id = _answered_chat(imchat, T0 + MINUTE)
    gone = update(t.chat_conversations).where(t.chat_conversations.c.public_id == public_id)
    with imchat.services.store.engine.begin() as conn:
        conn.execute(gone.values(exit_page=None))
    (row,) = _stats(imchat)
    assert row["exitPage"] == ""
