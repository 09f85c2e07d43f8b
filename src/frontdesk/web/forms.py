"""Small parsers for form values that several screens share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.paging import Window


def form_id(value: str, field: str) -> int:
    """A row id typed into a form (a select's value); anything else is invalid input."""
    if not value.isdigit() or len(value) > 10:
        raise Invalid("invalid_value", f"Not an id: {value[:20]!r}", field=field)
    return int(value)


def comma_words(text: str) -> list[str]:
    """Comma-separated words as typed (labels, tags); blanks between commas are dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def day_window(start: str, end: str, name: str, time_zone: ZoneInfo) -> Window:
    """Days typed as YYYY-MM-DD, both whole (inclusive), in the agent's time zone."""
    first, last = _day(start, name), _day(end, name)
    if first and last and first > last:
        raise Invalid("empty_window", f"The {name} range ends before it starts", field=name)
    return Window(
        _ms(first, time_zone) if first else None,
        _ms(last + timedelta(days=1), time_zone) - 1 if last else None,
    )


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("invalid_filter", f"{name}: not a date (YYYY-MM-DD)", field=name) from None


def _ms(day: date, time_zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(), tzinfo=time_zone).timestamp() * 1000)
