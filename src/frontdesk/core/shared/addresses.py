"""E-mail address checks shared by every entry point."""

from __future__ import annotations

import re

from frontdesk.core.shared.errors import Invalid

# Deliberately plain: a dot-atom local part and a dotted domain, as mail systems accept.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
MAX_ADDRESS = 254


def is_address(value: str) -> bool:
    return len(value) <= MAX_ADDRESS and _ADDRESS.match(value) is not None


def normalise_address(value: str, *, field: str = "email") -> str:
    """The address trimmed, with its domain lower-cased; Invalid if it is not one."""
    value = value.strip()
    if not is_address(value):
        raise Invalid("invalid_email", f"Not a valid e-mail address: {value[:80]!r}", field=field)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_addresses(values: list[str] | tuple[str, ...], *, field: str) -> tuple[str, ...]:
    return tuple(normalise_address(value, field=field) for value in values)
