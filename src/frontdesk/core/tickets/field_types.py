"""Custom field values checked against their field's type, in this one place.

Every way of setting a value (the web page, the native API, rules and macros, a ticket
opened with fields) comes through `normalised`, so a value is stored in one normal form
per type and the dialects, which all read values as text, keep working unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets._checks import MAX_NAME, checked_text
from frontdesk.core.tickets.records import CustomField, FieldType

MAX_VALUE = 10_000
MAX_NUMBER = 40  # characters of a number as written; more is not a quantity anyone types
MAX_OPTIONS = 100
YES = frozenset({"yes", "true", "1", "on"})
NO = frozenset({"no", "false", "0", "off"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def normalised(definition: CustomField, value: str) -> str:
    """The value as stored for this field, or Invalid naming the field and what is wrong."""
    return _NORMALISERS[definition.type](definition, value)


def _text(definition: CustomField, value: str) -> str:
    return checked_text(value, _where(definition), MAX_VALUE)


def _number(definition: CustomField, value: str) -> str:
    written = value.strip()
    if len(written) > MAX_NUMBER or not _NUMBER.fullmatch(written):
        raise _refused(definition, "field_not_a_number", "a number such as 12 or 4.5")
    return _plain(Decimal(written))  # the pattern admits only what Decimal reads


def _plain(number: Decimal) -> str:
    """12.50 -> "12.5", 1.0 -> "1", -0 -> "0": one spelling for one quantity."""
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", "+0"} else text


def _date(definition: CustomField, value: str) -> str:
    written = value.strip()
    try:
        if _DATE.fullmatch(written):
            return date.fromisoformat(written).isoformat()
    except ValueError:
        pass
    raise _refused(definition, "field_not_a_date", "a date written YYYY-MM-DD")


def _checkbox(definition: CustomField, value: str) -> str:
    word = value.strip().lower()
    if word in YES:
        return "yes"
    if word in NO:
        return "no"
    raise _refused(definition, "field_not_yes_no", "yes or no")


def _option(definition: CustomField, value: str) -> str:
    wanted = value.strip().lower()
    for option in definition.options:
        if option.lower() == wanted:
            return option  # the admin's spelling, whatever case the caller wrote
    choices = ", ".join(definition.options)[:200]
    raise _refused(definition, "field_not_an_option", f"one of: {choices}")


def _refused(definition: CustomField, code: str, expected: str) -> Invalid:
    return Invalid(code, f"{definition.name[:80]} takes {expected}", field=_where(definition))


def _where(definition: CustomField) -> str:
    return f"custom_fields.{definition.name}"


_NORMALISERS: dict[FieldType, Callable[[CustomField, str], str]] = {
    FieldType.TEXT: _text,
    FieldType.MULTILINE: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.CHECKBOX: _checkbox,
    FieldType.DROPDOWN: _option,
}


def checked_options(field_type: FieldType, options: Iterable[str]) -> tuple[str, ...]:
    """A dropdown's options: trimmed, at least one, no two alike (whatever their case), in
    the admin's order. Other types take none."""
    cleaned = [option.strip() for option in options if option.strip()]
    if field_type is not FieldType.DROPDOWN:
        if cleaned:
            raise Invalid("options_not_allowed", "Only a dropdown has options", field="options")
        return ()
    if not cleaned:
        raise Invalid("options_required", "A dropdown needs at least one option", field="options")
    if len(cleaned) > MAX_OPTIONS:
        raise Invalid("too_many_options", f"At most {MAX_OPTIONS} options", field="options")
    seen: set[str] = set()
    for option in cleaned:
        checked_text(option, "options", MAX_NAME)
        if "\n" in option or "\r" in option:  # stored one a line
            raise Invalid("invalid_option", "An option is one line", field="options")
        if option.lower() in seen:
            raise Invalid("duplicate_option", f"{option[:80]!r} is listed twice", field="options")
        seen.add(option.lower())
    return tuple(cleaned)


def compared(first: str, second: str) -> int | None:
    """-1, 0 or 1 when both are numbers, or both dates; None when they cannot be compared
    (the rules' greater / less conditions are then false)."""
    numbers = _as_number(first), _as_number(second)
    if numbers[0] is not None and numbers[1] is not None:
        return _sign(numbers[0], numbers[1])
    dates = first.strip(), second.strip()
    if _DATE.fullmatch(dates[0]) and _DATE.fullmatch(dates[1]):
        return _sign(dates[0], dates[1])  # YYYY-MM-DD sorts as text
    return None


def _sign(first: Any, second: Any) -> int:
    return int(first > second) - int(first < second)


def _as_number(value: str) -> Decimal | None:
    written = value.strip()
    if len(written) > MAX_NUMBER or not _NUMBER.fullmatch(written):
        return None
    return Decimal(written)
