"""Custom field types: changing the type of a field many tickets hold, and one value's check.

`bench.seed` writes N tickets; here every ticket gets a value in one text field, with
`--distinct` different spellings such as "17.50" (one INSERT), and then, through the core
and timed in wall-clock seconds:

1. **to_number**: the field becomes a number: every value is checked, and each distinct
   spelling rewritten into the normal form ("17.5"), moving the tickets holding it
   (docs/admin.md, "Ticket fields"). The worst case: every value changes.
2. **to_text**: back to text: every value fits as it is, nothing is written.
3. **check_number_us**, **check_dropdown_us**: one `normalised` call, in microseconds (a
   dropdown of 100 options, the value matched to the last one in other letter case).

    .venv/bin/python -m bench.field_types_bench [--tickets N] [--distinct D] [--database-url URL]

Timings are printed and written to `bench/results/field-types-<backend>.json`; they are
never asserted anywhere.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select

from bench.rules_bench import in_temp_dir, save
from bench.seed import seed
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import custom_fields
from frontdesk.core.tickets.field_types import normalised
from frontdesk.core.tickets.records import CustomField, FieldType
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t

CHECKS = 100_000


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return round(time.perf_counter() - started, 3)


def _check_us(definition: CustomField, value: str) -> float:
    started = time.perf_counter()
    for _ in range(CHECKS):
        normalised(definition, value)
    return round((time.perf_counter() - started) / CHECKS * 1_000_000, 2)


def measure(settings: Settings, count: int, distinct: int) -> dict[str, Any]:
    seeded = seed(settings, count, 1)
    services = build_services(settings, migrate=False)
    figures: dict[str, Any] = {"tickets": seeded.tickets, "distinct_values": distinct}
    try:
        actor = Actor(account_id=seeded.account_id, label="bench", scopes=ALL_SCOPES)
        with services.store.write() as uow:
            seats = custom_fields.create_field(uow, actor, "Seats")
        with services.store.engine.begin() as conn:
            ids = conn.execute(
                select(t.tickets.c.id).where(t.tickets.c.account_id == seeded.account_id)
            ).scalars()
            values = [
                {"ticket_id": ticket_id, "field_id": seats.id, "value": f"{n % distinct}.50"}
                for n, ticket_id in enumerate(ids)
            ]
            conn.execute(insert(t.ticket_fields), values)

        def change(field_type: FieldType) -> Callable[[], object]:
            def run() -> object:
                with services.store.write() as uow:
                    return custom_fields.change_field(uow, actor, seats.id, field_type)

            return run

        figures["to_number_seconds"] = _timed(change(FieldType.NUMBER))
        figures["to_text_seconds"] = _timed(change(FieldType.TEXT))
    finally:
        services.close()
    options = tuple(f"Option {n}" for n in range(100))
    figures["check_number_us"] = _check_us(
        CustomField(1, 1, "Seats", 0, FieldType.NUMBER), " 12.50 "
    )
    figures["check_dropdown_us"] = _check_us(
        CustomField(1, 1, "Plan", 0, FieldType.DROPDOWN, options), "option 99"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=500)
    args = parser.parse_args()
    results = in_temp_dir(
        "field-types",
        args.database_url,
        lambda url, root: measure(
            Settings(data_dir=root, database_url=url), args.tickets, args.distinct
        ),
    )
    save("field-types", results)


if __name__ == "__main__":
    main()
