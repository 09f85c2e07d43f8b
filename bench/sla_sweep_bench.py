"""The scheduler's sweeps over many open tickets: SLA alarms and time rules on SLA subjects.

`bench.seed` writes N tickets (one message each), all made open (`new`) here in one
UPDATE; then, through the core and timed in wall-clock seconds:

1. **policy**: creating an SLA policy, which starts the clocks of every open ticket in
   the same transaction (docs/automation.md, "Changing a policy").
2. **sla_sweep_all_due**: `SlaSweepJob` at a moment when every clock is overdue, so each
   ticket gets its warning and breach events (the worst case: every row changes).
3. **sla_sweep_none_due**: the same job again; nothing is due (the index scan alone).
4. **time_rules**: `TimeRulesJob` with one time rule on an SLA subject that matches no
   ticket (`sla.due_minutes at_most 1`: every clock has breached), so the figure is the
   cost of reading and testing every open ticket, which each sweep pays.

    .venv/bin/python -m bench.sla_sweep_bench [--tickets N] [--database-url URL]

Timings are printed and written to `bench/results/sla-sweep-<backend>.json`; they are
never asserted anywhere.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from bench.rules_bench import in_temp_dir, save
from bench.seed import seed
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.service_levels import PolicyFields
from frontdesk.core.automation.sla import Targets
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, RuleKind
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets.records import Priority
from frontdesk.services import build_services
from frontdesk.services.rules import SlaSweepJob, TimeRulesJob
from frontdesk.settings import Settings
from frontdesk.storage import tables as t

DAY = 86_400_000
TARGETS = Targets(60, 120, 480)


def _timed(step: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = step()
    return round(time.perf_counter() - started, 2), result


def measure(settings: Settings, count: int) -> dict[str, Any]:
    seeded = seed(settings, count, 1)
    services = build_services(settings, migrate=False)
    figures: dict[str, Any] = {"tickets": seeded.tickets, "seed_seconds": seeded.seconds}
    try:
        with services.store.engine.begin() as conn:  # every ticket open, as the sweep's worst case
            conn.execute(
                update(t.tickets)
                .where(t.tickets.c.account_id == seeded.account_id)
                .values(status="new")
            )
        actor = Actor(account_id=seeded.account_id, label="bench", scopes=ALL_SCOPES)
        targets = dict.fromkeys(Priority, TARGETS)

        def policy() -> object:
            with services.store.write() as uow:
                return sl.create_policy(uow, actor, PolicyFields("Bench", targets, warn_minutes=15))

        figures["policy_seconds"], _ = _timed(policy)
        later = now_ms() + 30 * DAY
        figures["sla_sweep_all_due_seconds"], looked = _timed(
            lambda: SlaSweepJob().run(services.store, later)
        )
        figures["sla_sweep_all_due_tickets"] = looked
        figures["sla_sweep_none_due_seconds"], _ = _timed(
            lambda: SlaSweepJob().run(services.store, later)
        )
        with services.store.write() as uow:
            rule = RuleFields(
                "Due within a minute",
                conditions=(Condition("sla.due_minutes", "at_most", 1),),
                actions=(Action("add_tags", ("due",)),),
            )
            define.create_rule(uow, actor, RuleKind.TIME_RULE, rule)
        figures["time_rules_seconds"], fired = _timed(
            lambda: TimeRulesJob().run(services.store, later)
        )
        figures["time_rules_fired"] = fired
    finally:
        services.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    results = in_temp_dir(
        "sla-sweep",
        args.database_url,
        lambda url, root: measure(Settings(data_dir=root, database_url=url), args.tickets),
    )
    save("sla-sweep", results)


if __name__ == "__main__":
    main()
