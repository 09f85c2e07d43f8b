"""Checks on names and short texts that several areas apply the same way, and the one rule
every text from outside must pass before it reaches storage."""

from __future__ import annotations

import re
from collections.abc import Mapping

from frontdesk.core.shared.errors import Invalid

# NUL cannot be stored in PostgreSQL text, and a lone surrogate (JSON's "\ud800") cannot be
# encoded as UTF-8 at all: neither is ever meaningful text, so both are refused as input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64  # nesting deeper than any request or frame of ours needs


def unstorable(value: str) -> str | None:
    """Why a text cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else "an unpaired surrogate"


def check_text(value: str, field: str) -> str:
    reason = unstorable(value)
    if reason is not None:
        raise Invalid("invalid_text", f"{field} contains {reason}", field=field)
    return value


def check_tree(value: object, field: str = "", depth: int = 0) -> None:
    """Every text in a parsed JSON value (keys too) passes `check_text`; Invalid names
    the first that does not (`tags[0]`, `custom_fields.key`)."""
    if isinstance(value, str):
        check_text(value, field or "body")
    elif isinstance(value, Mapping | list):
        if depth >= MAX_DEPTH:
            raise Invalid(
                "too_deep", f"{field or 'body'} is nested too deeply", field=field or None
            )
        if isinstance(value, list):
            for index, item in enumerate(value):
                check_tree(item, f"{field}[{index}]", depth + 1)
            return
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if isinstance(key, str):
                check_text(key, f"{field}.<key>" if field else "<key>")
            check_tree(item, name, depth + 1)


def clean_name(value: str, *, field: str = "name", limit: int = 200) -> str:
    value = check_text(value, field).strip()
    if not value:
        raise Invalid("required", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return value
