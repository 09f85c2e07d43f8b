"""Small parsers for form values that several screens share."""

from __future__ import annotations

from frontdesk.core.shared.errors import Invalid


def form_id(value: str, field: str) -> int:
    """A row id typed into a form (a select's value); anything else is invalid input."""
    if not value.isdigit() or len(value) > 10:
        raise Invalid("invalid_value", f"Not an id: {value[:20]!r}", field=field)
    return int(value)


def comma_words(text: str) -> list[str]:
    """Comma-separated words as typed (labels, tags); blanks between commas are dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]
