"""CSV cells every export writes (the API dialects' and the web app's): RFC 4180 quoting,
and no cell a spreadsheet program would run as a formula (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """The value as written: None empty, a formula-like text behind a ' (inert)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(cells: Iterable[object]) -> str:
    """One CSV record, CRLF-terminated, every cell through `cell`."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([cell(value) for value in cells])
    return out.getvalue()
