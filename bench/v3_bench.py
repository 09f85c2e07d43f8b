"""v3 customer API benchmark against a real `frontdesk serve` process on loopback.

Seeds an account of N tickets in which one customer has M of them (bench/v3_seed.py),
starts the server as a subprocess, then measures with httpx2, for GET /healthz (the
framework ceiling) and for that customer's ticket list (first and last page),
openOrUnread, and single tickets (a write: reading stamps clientLastReadAt): sequential
latency (p50/p99) and throughput at a small concurrency. Every loop is bounded.

    python -m bench.v3_bench                                   # 100,000 tickets, SQLite
    python -m bench.v3_bench --tickets 10000 --requests 100
    python -m bench.v3_bench --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import api_main, api_parser, backend, measure, served
from bench.v3_seed import V3Seeded, seed_v3
from frontdesk.settings import Settings


def scenarios(base: str, seeded: V3Seeded, args: argparse.Namespace) -> dict[str, Any]:
    headers = {"PRIVATE-TOKEN": seeded.customer_token}
    mine = seeded.customer_ticket_ids
    rng = random.Random(13)
    last_start = max(0, len(mine) - args.page)

    def healthz(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get("/healthz")

    def first_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(
            "/v3/tickets", headers={**headers, "RANGED-DATA": f"start=0,results={args.page}"}
        )

    def last_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        span = f"start={last_start},results={args.page}"
        return client.get("/v3/tickets", headers={**headers, "RANGED-DATA": span})

    def open_or_unread(client: httpx2.Client, _i: int) -> httpx2.Response:
        span = f"start=0,results={args.page}"
        return client.get("/v3/tickets/openOrUnread", headers={**headers, "RANGED-DATA": span})

    def one_ticket(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(f"/v3/tickets/{rng.choice(mine)}", headers=headers)

    n, workers = args.requests, args.concurrency
    return {
        "GET /healthz": measure(base, healthz, n * 3, workers),
        f"GET /v3/tickets (first {args.page})": measure(base, first_page, n, workers),
        f"GET /v3/tickets (last {args.page})": measure(base, last_page, n, workers),
        "GET /v3/tickets/openOrUnread": measure(base, open_or_unread, n, workers),
        "GET /v3/tickets/{id}": measure(base, one_ticket, n, workers),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-v3-bench-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url).resolved()
    seeded = seed_v3(settings, args.tickets, args.messages, args.customer_tickets)
    print(
        f"seeded {seeded.base.tickets} tickets ({len(seeded.customer_ticket_ids)} the "
        f"customer's), {seeded.base.messages} messages in {seeded.seconds} s",
        file=sys.stderr,
    )
    results = served(
        data_dir, settings.database_url, args.keep, lambda s: scenarios(s.base, seeded, args)
    )
    return {
        "backend": backend(settings.database_url),
        "tickets": seeded.base.tickets,
        "customer_tickets": len(seeded.customer_ticket_ids),
        "messages": seeded.base.messages,
        "seed_seconds": seeded.seconds,
        "results": results,
    }


def report(summary: dict[str, Any]) -> str:
    results = summary["results"]
    ceiling = results["GET /healthz"]["req_per_s"]
    lines = [
        f"backend: {summary['backend']}; {summary['tickets']} tickets in the account, "
        f"{summary['customer_tickets']} of them the customer's; {summary['messages']} messages",
        "",
        "| endpoint | p50 ms | p99 ms | req/s | of /healthz |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['p50_ms']} | {row['p99_ms']} | {row['req_per_s']} "
            f"| {row['req_per_s'] / ceiling:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = api_parser(__doc__, page=25, page_help="RANGED-DATA results")
    parser.add_argument("--customer-tickets", type=int, default=1000)
    api_main(parser, run, report)


if __name__ == "__main__":
    main()
