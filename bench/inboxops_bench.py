"""InboxOps list and full-text search benchmark against a real `frontdesk serve` on loopback.

Seeds N tickets x M messages (bench/seed.py; its prose puts rare words at known rates, and
the schema's triggers index every seeded row as they would any other), starts the server
as a subprocess and measures with httpx2: sequential latency (p50/p99) and throughput at a
small concurrency for GET /healthz (the framework ceiling), searches for words found in
10, 100 and 1,000 tickets and in most of them, two words at once, a search combined with
a status filter, and filtered list pages. Every search's hit count is checked against
what the seeder planted before it is timed.

    python -m bench.inboxops_bench                     # 100,000 tickets on SQLite
    python -m bench.inboxops_bench --tickets 10000 --requests 100
    python -m bench.inboxops_bench --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx2
import psycopg

from bench.harness import Server, api_main, api_parser, backend, measure, served
from bench.seed import Seeded, seed
from frontdesk.settings import Settings

Params = dict[str, Any]


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url).resolved()
    seeded: Seeded = seed(settings, args.tickets, args.messages)
    print(f"seeded {seeded.tickets} tickets, {seeded.messages} messages in {seeded.seconds}s")
    _vacuum(settings.database_url)
    results = served(
        data_dir, settings.database_url, args.keep, lambda s: _scenarios(s, seeded, args)
    )
    seed_info = asdict(seeded) | {"api_key": "..."}
    return {"backend": backend(settings.database_url), "seed": seed_info, **results}


def _vacuum(database_url: str) -> None:
    """What autovacuum does soon after a bulk load, done now (PostgreSQL only).

    Seeding inserts each ticket's search row and then rewrites it with its messages'
    words, leaving a dead version of every row; scans would wade through those until
    autovacuum came by, which a real system's steady state does not show.
    """
    if database_url.startswith("sqlite"):
        return
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ticket_search")


def _scenarios(server: Server, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    base = f"/v1/workspaces/{seeded.workspace_id}/tickets"
    headers = {
        "Authorization": f"Bearer {seeded.api_key}",
        "x-workspace-id": seeded.workspace_id,
    }
    n, workers, page = args.requests, args.concurrency, args.page
    rng = random.Random(5)

    def listing(params: Params) -> Callable[[httpx2.Client, int], httpx2.Response]:
        def request(client: httpx2.Client, _i: int) -> httpx2.Response:
            return client.get(base, params={"limit": page, **params}, headers=headers)

        return request

    searches: dict[str, Params] = {
        "search 'quokka' (10 tickets)": {"search": "quokka"},
        "search 'zeppelin' (100 tickets)": {"search": "zeppelin"},
        "search 'marzipan' (1,000 tickets)": {"search": "marzipan"},
        "search 'invoice' (most tickets)": {"search": "invoice"},
        "search 'refund invoice' (two words)": {"search": "refund invoice"},
        "search 'invoice' + status=open": {"search": "invoice", "status": "open"},
    }
    lists: dict[str, Params] = {
        "list first page": {},
        "list status=open&priority=high": {"status": "open", "priority": "high"},
        "list status=open&tags=billing": {"status": "open", "tags": "billing"},
        "list assignee": {"assignee": seeded.agent_ids[0]},
    }
    _check_hits(server.base, base, headers, seeded)

    def ticket(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(f"{base}/{rng.choice(ids)}", headers=headers)

    with httpx2.Client(base_url=server.base, timeout=60) as client:
        ids = [t["id"] for t in client.get(base, params={"limit": 500}, headers=headers).json()]

    def healthz(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get("/healthz")

    results: dict[str, Any] = {"healthz": measure(server.base, healthz, n * 3, workers)}
    for name, params in {**searches, **lists}.items():
        results[name] = measure(server.base, listing(params), n, workers)
        results[name]["total"] = _total(server.base, base, headers, {"limit": page, **params})
    results["get ticket with messages"] = measure(server.base, ticket, n, workers)
    results["memory_kib_end"] = server.memory()
    return results


def _total(server: str, base: str, headers: dict[str, str], params: Params) -> str:
    with httpx2.Client(base_url=server, timeout=60) as client:
        response = client.get(base, params=params, headers=headers)
    exact = response.headers["x-total-count-exact"] == "true"
    return response.headers["x-total-count"] + ("" if exact else "+")


def _check_hits(server: str, base: str, headers: dict[str, str], seeded: Seeded) -> None:
    """Each rare word finds exactly the tickets the seeder planted it in."""
    with httpx2.Client(base_url=server, timeout=60) as client:
        for word, expected in seeded.search_hits.items():
            response = client.get(base, params={"search": word, "limit": 1}, headers=headers)
            found = int(response.headers["x-total-count"])
            if response.headers["x-total-count-exact"] == "true" and found != expected:
                raise RuntimeError(f"search {word!r} found {found} tickets, not {expected}")


def report(results: dict[str, Any]) -> str:
    ceiling = results["healthz"]["req_per_s"]
    seeded = results["seed"]
    lines = [
        f"backend: {results['backend']}, seeded {seeded['tickets']} tickets / "
        f"{seeded['messages']} messages in {seeded['seconds']} s "
        f"({seeded['rows_per_second']} rows/s, search index built by the triggers)",
        "",
        "| request | total | p50 ms | p99 ms | req/s | of /healthz |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in results.items():
        if isinstance(row, dict) and "p50_ms" in row:
            share = f"{row['req_per_s'] / ceiling:.0%}"
            lines.append(
                f"| {name} | {row.get('total', '')} | {row['p50_ms']} | {row['p99_ms']} "
                f"| {row['req_per_s']} | {share} |"
            )
    return "\n".join(lines)


def main() -> None:
    api_main(api_parser(__doc__, page=25), run, report)


if __name__ == "__main__":
    main()
