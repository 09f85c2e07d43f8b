"""The core's shared helpers that several areas build on: time, text checks, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from frontdesk.core.shared.clock import from_datetime, iso_ms, now_ms, to_datetime
from frontdesk.core.shared.errors import DomainError, RateLimited
from frontdesk.core.shared.text import MAX_DEPTH, check_tree, clean_name

NEW_YEAR_2020_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z


def test_milliseconds_become_aware_utc_datetimes_and_back() -> None:
    stamp = to_datetime(NEW_YEAR_2020_MS + 123)
    assert stamp == datetime(2020, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC)
    assert stamp.tzinfo is UTC
    assert from_datetime(stamp) == NEW_YEAR_2020_MS + 123
    # a naive datetime is taken as UTC, whatever the machine's zone
    assert from_datetime(datetime(2020, 1, 1)) == NEW_YEAR_2020_MS
    # an aware one in another zone is converted, not relabelled
    paris = timezone(timedelta(hours=1))
    assert from_datetime(datetime(2020, 1, 1, 1, 0, tzinfo=paris)) == NEW_YEAR_2020_MS


def test_a_naive_datetime_is_utc_even_where_the_machine_keeps_another_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert from_datetime(datetime(2020, 1, 1)) == NEW_YEAR_2020_MS
        assert to_datetime(NEW_YEAR_2020_MS).hour == 0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_iso_ms_prints_utc_with_milliseconds() -> None:
    assert iso_ms(NEW_YEAR_2020_MS + 7) == "2020-01-01T00:00:00.007Z"
    assert iso_ms(None) is None


def test_now_ms_is_the_wall_clock_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    now = now_ms()
    after = time.time_ns() // 1_000_000
    assert before <= now <= after


def test_rate_limited_keeps_its_field_and_retry_after() -> None:
    error = RateLimited("too_many", "slow down", retry_after=2.5, field="password")
    assert isinstance(error, DomainError)
    assert (error.code, error.message, error.field, error.retry_after) == (
        "too_many",
        "slow down",
        "password",
        2.5,
    )
    assert str(error) == "slow down"


def test_a_lone_surrogate_is_named_as_such() -> None:
    with pytest.raises(DomainError) as raised:
        check_tree({"note": "a\ud800b"})
    assert raised.value.message == "note contains an unpaired surrogate"


def test_a_bad_text_at_the_top_of_a_tree_is_named_body() -> None:
    with pytest.raises(DomainError) as raised:
        check_tree("a\x00b")
    assert (raised.value.code, raised.value.field) == ("invalid_text", "body")
    assert raised.value.message == "body contains a NUL character"


def _nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = [value]
    return value


def test_trees_nest_up_to_max_depth_and_no_deeper() -> None:
    assert MAX_DEPTH == 64
    check_tree(_nested(64))  # the outermost list is depth 0, the innermost 63
    with pytest.raises(DomainError) as raised:
        check_tree(_nested(65))
    assert raised.value.code == "too_deep"
    assert raised.value.message == "[0]" * 64 + " is nested too deeply"
    assert raised.value.field == "[0]" * 64


def _nested_maps(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def test_maps_nest_up_to_max_depth_too() -> None:
    check_tree(_nested_maps(64))
    with pytest.raises(DomainError) as raised:
        check_tree(_nested_maps(65))
    assert raised.value.code == "too_deep"
    assert raised.value.field == ".".join(["a"] * 64)
    # a caller that starts deep with no field name gets the whole body named
    with pytest.raises(DomainError) as raised:
        check_tree([], depth=MAX_DEPTH)
    assert (raised.value.message, raised.value.field) == ("body is nested too deeply", None)


@pytest.mark.parametrize(
    ("tree", "field"),
    [
        ({"a": {"b": "x\x00"}}, "a.b"),
        ({"tags": ["ok", "x\x00"]}, "tags[1]"),
        ({"k\x00": 1}, "<key>"),
        ({"a": {"k\x00": 1}}, "a.<key>"),
    ],
)
def test_a_bad_text_in_a_tree_is_named_by_its_path(tree: object, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_tree(tree)
    assert raised.value.field == field
    assert raised.value.message == f"{field} contains a NUL character"


def test_a_name_is_trimmed_required_and_bounded() -> None:
    assert clean_name("  Billing  ") == "Billing"
    assert clean_name("x" * 200) == "x" * 200
    with pytest.raises(DomainError) as raised:
        clean_name("   ", field="subject")
    assert (raised.value.code, raised.value.field) == ("required", "subject")
    assert raised.value.message == "subject must not be empty"
    assert clean_name("xyz", limit=3) == "xyz"
    with pytest.raises(DomainError) as raised:
        clean_name("x" * 201)
    assert (raised.value.code, raised.value.field) == ("too_long", "name")
    assert raised.value.message == "name is longer than 200 characters"
    with pytest.raises(DomainError) as raised:
        clean_name("a\x00b", field="subject")
    assert (raised.value.code, raised.value.field) == ("invalid_text", "subject")
    assert raised.value.message == "subject contains a NUL character"
