"""Limits and checks on what is written on tickets."""

from __future__ import annotations

from collections.abc import Iterable

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.text import check_text

MAX_SUBJECT = 1000


MAX_BODY = 1_000_000


MAX_NAME = 200


def checked_text(value: str, what: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid("required", f"{what} must not be empty", field=what)
    if len(value) > limit:
        raise Invalid("too_long", f"{what} is longer than {limit} characters", field=what)
    return check_text(value, what)


def checked_words(values: Iterable[str], what: str) -> list[str]:
    """Trimmed, de-duplicated, in first-seen order; empty and over-long values refused."""
    seen: dict[str, None] = {}
    for value in values:
        word = checked_text(value, what, MAX_NAME, required=True)
        seen.setdefault(word, None)
    return list(seen)
