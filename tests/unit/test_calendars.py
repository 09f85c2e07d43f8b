"""Business-hours arithmetic against cases worked out by hand (docs/automation.md).

The office calendar: Europe/Stockholm, Monday to Friday 09:00-17:00, closed on
24 and 25 December 2026. Stockholm is UTC+1 in winter (CET) and UTC+2 in summer (CEST);
in 2026 the clocks go forward on Sunday 29 March at 01:00 UTC and back on Sunday
25 October at 01:00 UTC. Every instant below is written in UTC, with the local wall
time beside it, and every expected figure was counted on paper, not by the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontdesk.core.automation.calendars import (
    ALWAYS,
    Span,
    add_business_minutes,
    business_minutes_between,
    format_span,
    is_business_time,
    make_calendar,
    parse_span,
)
from frontdesk.core.shared.errors import Invalid

OFFICE = make_calendar(
    "Europe/Stockholm",
    [Span(day, 9 * 60, 17 * 60) for day in range(5)],
    [date(2026, 12, 24), date(2026, 12, 25)],
)
# Sunday nights only, 00:00-06:00 local: the span that the clock change cuts or stretches.
NIGHT = make_calendar("Europe/Stockholm", [Span(6, 0, 6 * 60)])
# Sunday 02:30-04:00: on 29 March 2026 02:30 does not exist in Stockholm.
SKIPPED = make_calendar("Europe/Stockholm", [Span(6, 150, 240)])


def utc(text: str) -> int:
    stamp = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return int(stamp.timestamp()) * 1000


ADD_CASES = [
    # (from UTC, business minutes, due UTC, why)
    ("2026-11-23 09:00", 60, "2026-11-23 10:00", "Mon 10:00 CET + 1h = 11:00 the same day"),
    ("2026-11-27 15:30", 60, "2026-11-30 08:30", "Fri 16:30: 30 min Friday, 30 Monday 09:30"),
    ("2026-11-28 11:00", 30, "2026-11-30 08:30", "Saturday noon: nothing until Monday 09:00"),
    ("2026-11-24 06:00", 15, "2026-11-24 08:15", "Tue 07:00, before opening: 09:15"),
    ("2026-11-23 15:00", 60, "2026-11-23 16:00", "Mon 16:00 + 1h ends exactly at 17:00"),
    ("2026-11-23 16:00", 1, "2026-11-24 08:01", "at closing time: the next morning's 09:01"),
    ("2026-11-23 16:00", 0, "2026-11-23 16:00", "nothing owed: the moment itself"),
    ("2026-11-23 09:00", 8 * 60, "2026-11-24 09:00", "a full day from 10:00 is 10:00 tomorrow"),
    ("2026-12-23 15:00", 120, "2026-12-28 09:00",
     "Wed 23 Dec 16:00: 1h Wed, Thu-Fri holidays, weekend, Mon 28 Dec 10:00"),
    ("2026-03-27 15:00", 120, "2026-03-30 08:00",
     "Fri 16:00 CET: 1h Fri; Monday is CEST, 09:00 local = 07:00 UTC, due 10:00 local"),
    ("2026-10-23 14:00", 120, "2026-10-26 09:00",
     "Fri 16:00 CEST: 1h Fri; Monday is CET, 09:00 local = 08:00 UTC, due 10:00 local"),
    ("2026-03-28 12:00", 300, "2026-03-29 04:00",
     "Sunday night 29 Mar: 00:00 CET (23:00Z Sat) to 06:00 CEST (04:00Z) is only 5h"),
    ("2026-10-24 12:00", 420, "2026-10-25 05:00",
     "Sunday night 25 Oct: 00:00 CEST (22:00Z Sat) to 06:00 CET (05:00Z) is 7h"),
]  # fmt: skip


@pytest.mark.parametrize(("start", "minutes", "due", "why"), ADD_CASES)
def test_adding_business_minutes_matches_the_hand_worked_table(
    start: str, minutes: int, due: str, why: str
) -> None:
    calendar = NIGHT if why.startswith("Sunday night") else OFFICE
    assert add_business_minutes(calendar, utc(start), minutes) == utc(due), why


BETWEEN_CASES = [
    # (calendar, from UTC, to UTC, business minutes, why)
    (OFFICE, "2026-11-23 09:00", "2026-11-23 11:30", 150, "Mon 10:00-12:30 local"),
    (OFFICE, "2026-11-27 15:00", "2026-11-30 09:00", 120, "Fri 16:00 to Mon 10:00: 1h + 1h"),
    (OFFICE, "2026-11-28 08:00", "2026-11-29 20:00", 0, "a weekend has no business time"),
    (OFFICE, "2026-12-23 08:00", "2026-12-28 16:00", 960, "Wed and Mon whole; Thu-Fri holidays"),
    (OFFICE, "2026-03-27 15:00", "2026-03-30 08:00", 120, "across spring forward"),
    (OFFICE, "2026-10-23 14:00", "2026-10-26 09:00", 120, "across fall back"),
    (OFFICE, "2026-11-23 12:00", "2026-11-23 10:00", 0, "an end before the start"),
    (OFFICE, "2026-11-16 08:00", "2026-11-21 00:00", 5 * 480, "a whole working week"),
    (NIGHT, "2026-03-28 12:00", "2026-03-30 00:00", 300, "the short night: 5 real hours"),
    (NIGHT, "2026-10-24 12:00", "2026-10-26 00:00", 420, "the long night: 7 real hours"),
    (NIGHT, "2026-03-21 12:00", "2026-03-23 00:00", 360, "an ordinary Sunday night: 6h"),
    (SKIPPED, "2026-03-28 00:00", "2026-03-30 00:00", 30,
     "02:30 is skipped: read as 02:30 CET = 01:30Z = 03:30 CEST, to 04:00 CEST"),
    (ALWAYS, "2026-11-28 08:00", "2026-11-29 09:30", 25 * 60 + 30, "24/7: plain elapsed time"),
]  # fmt: skip


@pytest.mark.parametrize(("calendar", "start", "end", "minutes", "why"), BETWEEN_CASES)
def test_counting_business_minutes_matches_the_hand_worked_table(
    calendar: object, start: str, end: str, minutes: int, why: str
) -> None:
    assert business_minutes_between(calendar, utc(start), utc(end)) == minutes, why  # type: ignore[arg-type]


def test_adding_then_counting_gives_back_the_amount() -> None:
    start = utc("2026-12-22 14:17")
    for minutes in (1, 59, 480, 481, 2000, 10_000):
        due = add_business_minutes(OFFICE, start, minutes)
        assert business_minutes_between(OFFICE, start, due) == minutes


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        ("2026-11-23 07:59", False),  # Mon 08:59 local
        ("2026-11-23 08:00", True),  # Mon 09:00 local: opening is inside
        ("2026-11-23 15:59", True),
        ("2026-11-23 16:00", False),  # 17:00 local: closing is outside
        ("2026-11-28 12:00", False),  # Saturday
        ("2026-12-24 11:00", False),  # Christmas Eve, a Thursday holiday
        ("2026-03-30 07:30", True),  # Mon 09:30 CEST
        ("2026-03-30 06:30", False),  # Mon 08:30 CEST (would be 07:30 CET: open if naive)
    ],
)
def test_business_time_or_not(at: str, open_: bool) -> None:
    assert is_business_time(OFFICE, utc(at)) is open_


def test_hours_are_parsed_and_printed() -> None:
    assert parse_span(0, "9:00-17:30") == Span(0, 540, 1050)
    assert parse_span(6, "00:00-24:00") == Span(6, 0, 1440)
    assert format_span(Span(2, 540, 1440)) == "09:00-24:00"


@pytest.mark.parametrize("text", ["9-17", "25:00-26:00", "09:00-24:30", "09:60-10:00", ""])
def test_malformed_hours_are_refused(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_span(0, text)
    assert caught.value.code == "invalid_hours"


@pytest.mark.parametrize(
    ("zone", "spans", "code"),
    [
        ("Mars/Olympus", [Span(0, 540, 1020)], "unknown_time_zone"),
        ("UTC", [Span(0, 600, 540)], "invalid_hours"),
        ("UTC", [Span(7, 540, 600)], "invalid_hours"),
        ("UTC", [Span(0, 540, 720), Span(0, 700, 800)], "overlapping_hours"),
    ],
)
def test_bad_calendars_are_refused(zone: str, spans: list[Span], code: str) -> None:
    with pytest.raises(Invalid) as caught:
        make_calendar(zone, spans)
    assert caught.value.code == code


def test_a_calendar_without_business_time_ahead_says_so() -> None:
    mondays = [date(2026, 11, 30).fromordinal(date(2026, 11, 30).toordinal() + 7 * week)
               for week in range(170)]  # fmt: skip
    closed = make_calendar("UTC", [Span(0, 540, 600)], mondays)
    with pytest.raises(Invalid) as caught:
        add_business_minutes(closed, utc("2026-11-28 00:00"), 10)
    assert caught.value.code == "no_business_hours"
