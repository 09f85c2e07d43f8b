"""docs/webhooks.md's table of event types is the settings screen's list, exactly, and each
type on it is one the code records (a type nobody records would be a box that never fires).
"""

from __future__ import annotations

import re
from pathlib import Path

from frontdesk.core.automation.catalog import DELIVERABLE

ROOT = Path(__file__).resolve().parents[2]
TABLE_HEAD = "| area | types |"


def _documented() -> dict[str, list[str]]:
    """The table's rows: area -> types, in order; a note in parentheses is not a type."""
    text = (ROOT / "docs/webhooks.md").read_text()
    rows = text[text.index(TABLE_HEAD) :].split("\n\n", 1)[0].splitlines()[2:]
    table: dict[str, list[str]] = {}
    for row in rows:
        area, types = (cell.strip() for cell in row.strip("|").split("|"))
        table[area.strip("`")] = re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", types))
    return table


def test_the_docs_table_is_the_catalog() -> None:
    assert _documented() == {area: list(kinds) for area, kinds in DELIVERABLE}


def test_each_listed_type_is_one_the_code_records() -> None:
    sources = "\n".join(
        path.read_text()
        for path in (ROOT / "src/frontdesk").rglob("*.py")
        if "migrations" not in path.parts and path.name != "catalog.py"
    )
    unrecorded = [f"{area}.{kind}" for area, kinds in DELIVERABLE for kind in kinds
                  if f'"{area}.{kind}"' not in sources]  # fmt: skip
    assert unrecorded == []
