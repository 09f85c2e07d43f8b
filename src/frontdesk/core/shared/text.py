"""Checks on names and short texts that several areas apply the same way."""

from __future__ import annotations

from frontdesk.core.shared.errors import Invalid


def clean_name(value: str, *, field: str = "name", limit: int = 200) -> str:
    value = value.strip()
    if not value:
        raise Invalid("required", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return value
