"""Triggers: what active triggers cost a create (`POST /api/v1/tickets`).

A real `frontdesk serve` gets 50 triggers, each testing the event, the subject and the
requester's domain (three conditions, as admins write them) and adding a tag; none matches
the benchmark's tickets, so the figure is the cost of evaluating them, which every create
pays. Creates run from 4 client threads with 0, 10 and 50 triggers switched on, in
alternating rounds so that the machine's other load falls on all three alike; the median
of the rounds is reported, with the ratio to 0 triggers (target: 50 cost under 20%).

With `--in-process` it measures the same thing without HTTP: tickets opened through the
core in one process (each in its own write transaction, the triggers' hook included),
timed in CPU seconds of this process (`time.process_time`), which other processes' load
on a shared machine disturbs far less than wall-clock requests per second do.

    .venv/bin/python -m bench.rules_bench [--database-url URL] [--creates N] [--rounds N]
    .venv/bin/python -m bench.rules_bench --in-process [--creates N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import Server, backend
from bench.webhook_bench import creates
from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, RuleKind
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.services import build_services
from frontdesk.settings import Settings

RESULTS = Path(__file__).parent / "results"
COUNTS = (0, 10, 50)


def trigger(number: int) -> dict[str, Any]:
    return {
        "kind": "trigger",
        "name": f"Bench {number}",
        "active": False,
        "conditions": [
            {"subject": "event", "operator": "is", "value": "ticket.opened"},
            {"subject": "subject", "operator": "contains", "value": f"zz{number}"},
            {"subject": "requester_domain", "operator": "is", "value": "example.org"},
        ],
        "actions": [{"kind": "add_tags", "value": [f"t{number}"]}],
    }


def run(database_url: str, data_dir: Path, count: int, rounds: int) -> dict[str, Any]:
    init = subprocess.run(
        [str(Path(sys.executable).parent / "frontdesk"), "--json", "init"],
        env={**os.environ, "FRONTDESK_DATA_DIR": str(data_dir),
             "FRONTDESK_DATABASE_URL": database_url},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = json.loads(init.stdout)["api_key"]
    server = Server(data_dir, database_url)
    figures: dict[int, list[float]] = {n: [] for n in COUNTS}
    try:
        server.wait()
        headers = {"Authorization": f"Bearer {key}"}
        made = [
            httpx2.post(f"{server.base}/api/v1/rules", json=trigger(n), headers=headers).json()
            for n in range(max(COUNTS))
        ]

        def switch_on(active: int) -> None:
            for number, rule in enumerate(made):
                body = {**trigger(number), "active": number < active}
                answer = httpx2.put(f"{server.base}/api/v1/rules/{rule['id']}", json=body,
                                    headers=headers)  # fmt: skip
                answer.raise_for_status()

        creates(server.base, key, 50, 4, "warm")
        for round_ in range(rounds):
            for active in COUNTS:
                switch_on(active)
                figures[active].append(creates(server.base, key, count, 4, f"r{round_}-{active}"))
    finally:
        server.stop()
    medians = {n: statistics.median(values) for n, values in figures.items()}
    return {
        "creates_per_pass": count,
        "req_s": {str(n): round(value, 1) for n, value in medians.items()},
        "ratio_to_none": {str(n): round(medians[n] / medians[0], 3) for n in COUNTS},
        "rounds": {str(n): [round(v, 1) for v in values] for n, values in figures.items()},
    }


def in_process(database_url: str, data_dir: Path, count: int, rounds: int) -> dict[str, Any]:
    """Creates per CPU second through the core, with 0, 10 and 50 triggers switched on."""
    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    figures: dict[int, list[float]] = {n: [] for n in COUNTS}
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, "Bench")
            actor = Actor(account_id=account.id, label="bench", scopes=ALL_SCOPES)
            made = [
                define.create_rule(uow, actor, RuleKind.TRIGGER, _fields(trigger(n)))
                for n in range(max(COUNTS))
            ]

        def switch_on(active: int) -> None:
            with services.store.write() as uow:
                for number, rule in enumerate(made):
                    body = {**trigger(number), "active": number < active}
                    define.update_rule(uow, actor, rule.id, _fields(body))

        def opened(tag: str) -> float:
            started = time.process_time()
            for number in range(count):
                new = NewTicket(subject=f"{tag} {number}", message=NewMessage("Where is it?"),
                                requester_email=f"{tag}-{number}@example.org")  # fmt: skip
                with services.store.write() as uow:
                    tickets.open_ticket(uow, actor, new)
            return count / (time.process_time() - started)

        opened("warm")
        for round_ in range(rounds):
            for active in COUNTS:
                switch_on(active)
                figures[active].append(opened(f"r{round_}-{active}"))
    finally:
        services.close()
    medians = {n: statistics.median(values) for n, values in figures.items()}
    return {
        "creates_per_pass": count,
        "creates_per_cpu_s": {str(n): round(value, 1) for n, value in medians.items()},
        "ratio_to_none": {str(n): round(medians[n] / medians[0], 3) for n in COUNTS},
        "rounds": {str(n): [round(v, 1) for v in values] for n, values in figures.items()},
    }


def _fields(body: dict[str, Any]) -> RuleFields:
    return RuleFields(
        name=body["name"],
        conditions=tuple(Condition(c["subject"], c["operator"], c["value"])
                         for c in body["conditions"]),
        actions=tuple(Action(a["kind"], tuple(a["value"])) for a in body["actions"]),
        active=body["active"],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--creates", type=int, default=300, help="per pass")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="through the core, CPU time")
    args = parser.parse_args()
    measure = in_process if args.in_process else run
    results = in_temp_dir(
        "rules", args.database_url, lambda url, root: measure(url, root, args.creates, args.rounds)
    )
    save("rules-core" if args.in_process else "rules", results)


def in_temp_dir(
    name: str, database_url: str, measure: Callable[[str, Path], dict[str, Any]]
) -> dict[str, Any]:
    """`measure(database URL, data dir)` in a temporary directory, removed afterwards
    (SQLite in it unless a URL is given), with the backend and the machine's load added:
    on a shared machine the load says how far to trust the figures."""
    root = Path(tempfile.mkdtemp(prefix=f"{name}-bench-"))
    url = database_url or f"sqlite:///{root}/{name}.db"
    try:
        results = {"backend": backend(url), **measure(url, root)}
        results["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def save(name: str, results: dict[str, Any]) -> None:
    """Print the figures and keep them in bench/results/<name>-<backend>.json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}-{results['backend']}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
