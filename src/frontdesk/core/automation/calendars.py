"""Business-hours calendars: a time zone, weekly hours and holidays (docs/automation.md).

Pure functions over integer milliseconds (UTC), the unit stored everywhere. A calendar's
hours are wall-clock times in its zone, so they follow the zone's DST changes: 09:00-17:00
is eight real hours on the day the clocks move, and a 00:00-24:00 day is 23 or 25 real
hours. A wall-clock time the zone skips (02:30 on a spring-forward night) is read with the
offset in force before the change, as zoneinfo does (so 02:30 means 03:30 summer time);
one it repeats means its first occurrence.

This is also the "business hours or not" calendar that triggers and time rules ask
(`is_business_time`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.core.shared.errors import Invalid

MINUTE_MS = 60_000
DAY_MINUTES = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_HOLIDAYS = 500
# How far a search for business time looks before it gives up: a calendar whose every
# open day for this long is a holiday has no business time to offer.
SEARCH_DAYS = 3 * 366
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Span:
    """Open from `start` to `end`, minutes after local midnight (end 1440 = midnight)."""

    weekday: int  # 0 = Monday, as date.weekday()
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Calendar:
    zone: str = "UTC"
    spans: tuple[Span, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def always_open(self) -> bool:
        return not self.spans


ALWAYS = Calendar()  # no hours given: every minute counts (a 24/7 team)


def make_calendar(zone: str, spans: Iterable[Span], holidays: Iterable[date] = ()) -> Calendar:
    """A checked calendar: a known zone, spans within a day that do not overlap."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid("unknown_time_zone", f"Unknown time zone {zone!r}", field="zone") from exc
    ordered = tuple(sorted(set(spans), key=lambda s: (s.weekday, s.start)))
    for span in ordered:
        if not (0 <= span.weekday <= 6 and 0 <= span.start < span.end <= DAY_MINUTES):
            raise Invalid(
                "invalid_hours", "Opening hours must start before they end", field="hours"
            )
    for before, after in pairwise(ordered):
        if before.weekday == after.weekday and after.start < before.end:
            raise Invalid("overlapping_hours", "Opening hours overlap", field="hours")
    days = frozenset(holidays)
    if len(days) > MAX_HOLIDAYS:
        raise Invalid("too_many_values", f"At most {MAX_HOLIDAYS} holidays", field="holidays")
    return Calendar(zone, ordered, days)


def parse_span(weekday: int, text: str) -> Span:
    """`09:00-17:00` (24:00 allowed as an end) on a weekday."""
    found = _SPAN.match(text)
    if found is None:
        raise Invalid("invalid_hours", f"Hours look like 09:00-17:00, not {text!r}", field="hours")
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid("invalid_hours", f"No such time in {text!r}", field="hours")
    return Span(weekday, h1 * 60 + m1, h2 * 60 + m2)


def format_span(span: Span) -> str:
    return f"{span.start // 60:02d}:{span.start % 60:02d}-{span.end // 60:02d}:{span.end % 60:02d}"


def _local_ms(zone: ZoneInfo, day: date, minute: int) -> int:
    """The instant of a wall-clock minute of a local day (1440 is the next midnight)."""
    day, minute = (day + timedelta(days=1), 0) if minute == DAY_MINUTES else (day, minute)
    stamp = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return int(stamp.timestamp()) * 1000


def _open_intervals(
    calendar: Calendar, start_ms: int, days: int = SEARCH_DAYS
) -> Iterator[tuple[int, int]]:
    """The calendar's open intervals in UTC ms, in order, from the local day of `start_ms`
    on (the first may end before `start_ms`), for `days` days."""
    zone = ZoneInfo(calendar.zone)
    first = datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(zone).date()
    by_day: dict[int, list[Span]] = {}
    for span in calendar.spans:
        by_day.setdefault(span.weekday, []).append(span)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day in calendar.holidays:
            continue
        for span in by_day.get(day.weekday(), ()):
            yield _local_ms(zone, day, span.start), _local_ms(zone, day, span.end)


def is_business_time(calendar: Calendar, at_ms: int) -> bool:
    if calendar.always_open:
        return True
    for start, end in _open_intervals(calendar, at_ms):
        if start > at_ms:
            return False
        if at_ms < end:
            return True
    return False


def add_business_ms(calendar: Calendar, start_ms: int, amount_ms: int) -> int:
    """The instant `amount_ms` of business time after `start_ms`.

    Zero amount from a closed moment is that moment (nothing is owed). Raises Invalid when
    the calendar offers no business time within SEARCH_DAYS."""
    if amount_ms <= 0 or calendar.always_open:
        return start_ms + max(amount_ms, 0)
    left = amount_ms
    for open_at, close_at in _open_intervals(calendar, start_ms):
        begin = max(open_at, start_ms)
        if begin >= close_at:
            continue
        if close_at - begin >= left:
            return begin + left
        left -= close_at - begin
    raise Invalid("no_business_hours", "The calendar has no business hours ahead", field="hours")


def business_ms_between(calendar: Calendar, start_ms: int, end_ms: int) -> int:
    """Business time from `start_ms` to `end_ms` (zero when end is not after start)."""
    if end_ms <= start_ms:
        return 0
    if calendar.always_open:
        return end_ms - start_ms
    total = 0
    days = (end_ms - start_ms) // (DAY_MINUTES * MINUTE_MS) + 2  # a partial day at each end
    for open_at, close_at in _open_intervals(calendar, start_ms, days):
        if open_at >= end_ms:
            break
        total += max(0, min(close_at, end_ms) - max(open_at, start_ms))
    return total


def add_business_minutes(calendar: Calendar, start_ms: int, minutes: int) -> int:
    return add_business_ms(calendar, start_ms, minutes * MINUTE_MS)


def business_minutes_between(calendar: Calendar, start_ms: int, end_ms: int) -> int:
    """Whole business minutes from `start_ms` to `end_ms` (rounded down)."""
    return business_ms_between(calendar, start_ms, end_ms) // MINUTE_MS
