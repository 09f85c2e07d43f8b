"""ImBox tickets API benchmark against a real `frontdesk serve` process on loopback.

Seeds N tickets x M messages (bench/seed.py), starts the server as a subprocess, then
measures with httpx2: sequential latency (p50/p99) and throughput at a small concurrency
for GET /healthz (the framework ceiling), listTickets (first page and a page deep in the
set), listTicketsEmails, grabTicket and insertTicket, and a full CSV export with the
server's peak memory (VmHWM in /proc/<pid>/status) before and after. Loops are bounded.

    python -m bench.imbox_bench                       # 100,000 tickets on SQLite
    python -m bench.imbox_bench --tickets 10000 --requests 100
    python -m bench.imbox_bench --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import Server, api_main, api_parser, backend, measure, served
from bench.seed import Seeded, seed
from frontdesk.settings import Settings


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url).resolved()
    seeded: Seeded = seed(settings, args.tickets, args.messages)
    print(f"seeded {seeded.tickets} tickets, {seeded.messages} messages in {seeded.seconds}s")
    results = served(
        data_dir, settings.database_url, args.keep, lambda s: _scenarios(s, seeded, args)
    )
    seed_info = asdict(seeded) | {"api_key": "..."}
    return {"backend": backend(settings.database_url), "seed": seed_info, **results}


def _scenarios(server: Server, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    key, user = seeded.api_key, seeded.account_id
    first_id, last_id = seeded.first_ticket_id, seeded.last_ticket_id
    rng = random.Random(11)
    n, workers = args.requests, args.concurrency
    deep_cursor = max(first_id, last_id - 2 * args.page)  # a full page near the end

    def path(endpoint: str, *rest: object) -> str:
        return "/".join(["/message", endpoint, key, str(user), *(str(r) for r in rest)])

    def first_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(path("listTickets"), params={"limit": args.page})

    def deep_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        params = {"limit": args.page, "cursorId": deep_cursor, "cursorUpdated": 0}
        return client.get(path("listTickets"), params=params)

    def filtered_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        params = {"limit": args.page, "status": "pending", "label": ["vip", "bug"]}
        return client.get(path("listTickets"), params=params)

    day = 86_400
    window = {
        "updatedAfter": _iso(time.time() - 10 * day),
        "updatedBefore": _iso(time.time() - 9 * day),
    }

    def synced_page(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(path("listTickets"), params={"limit": args.page, **window})

    def emails(client: httpx2.Client, _i: int) -> httpx2.Response:
        params = {"startTime": "2000-01-01", "endTime": "2100-01-01", "limit": args.page}
        return client.get(path("listTicketsEmails"), params=params)

    def grab(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get(path("grabTicket", rng.randint(first_id, last_id)))

    def insert(client: httpx2.Client, i: int) -> httpx2.Response:
        body = {
            "fromEmail": f"bench{i}-{rng.randrange(10**9)}@example.org",
            "toEmail": seeded.inbox_email,
            "subject": f"Benchmark {i}",
            "message": "Hello from the benchmark",
            "labels": ["bench"],
        }
        return client.post(path("insertTicket"), json=body)

    def healthz(client: httpx2.Client, _i: int) -> httpx2.Response:
        return client.get("/healthz")

    results: dict[str, Any] = {}
    results["healthz"] = measure(server.base, healthz, n * 3, workers)
    results["listTickets first page"] = measure(server.base, first_page, n, workers)
    results["listTickets deep page"] = measure(server.base, deep_page, n, workers)
    results["listTickets status+labels"] = measure(server.base, filtered_page, n, workers)
    results["listTickets one-day updated window"] = measure(server.base, synced_page, n, workers)
    results["listTicketsEmails page"] = measure(server.base, emails, n, workers)
    results["grabTicket"] = measure(server.base, grab, n, workers)
    results["insertTicket"] = measure(server.base, insert, n, workers)
    results["csv"] = _csv_export(server, path("listTickets"))
    results["memory_kib_end"] = server.memory()
    return results


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _csv_export(server: Server, path: str) -> dict[str, Any]:
    before = server.memory()
    started = time.perf_counter()
    rows = size = 0
    with (
        httpx2.Client(base_url=server.base, timeout=600) as client,
        client.stream("GET", path, params={"fileType": "csv"}) as response,
    ):
        if response.status_code != 200:
            raise RuntimeError(f"CSV export answered HTTP {response.status_code}")
        for chunk in response.iter_bytes():
            size += len(chunk)
            rows += chunk.count(b"\r\n")
    took = time.perf_counter() - started
    after = server.memory()
    return {
        "rows": rows - 1,
        "seconds": round(took, 2),
        "rows_per_s": round((rows - 1) / took),
        "mib_per_s": round(size / took / 2**20, 1),
        "bytes": size,
        "vmhwm_before_kib": before["VmHWM"],
        "vmhwm_after_kib": after["VmHWM"],
        "vmrss_after_kib": after["VmRSS"],
    }


def report(results: dict[str, Any]) -> str:
    ceiling = results["healthz"]["req_per_s"]
    lines = [
        f"backend: {results['backend']}, seeded {results['seed']['tickets']} tickets / "
        f"{results['seed']['messages']} messages in {results['seed']['seconds']} s "
        f"({results['seed']['rows_per_second']} rows/s)",
        "",
        "| endpoint | p50 ms | p99 ms | req/s | of /healthz |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results.items():
        if isinstance(row, dict) and "p50_ms" in row:
            share = f"{row['req_per_s'] / ceiling:.0%}"
            lines.append(
                f"| {name} | {row['p50_ms']} | {row['p99_ms']} | {row['req_per_s']} | {share} |"
            )
    first = results["listTickets first page"]["p50_ms"]
    deep = results["listTickets deep page"]["p50_ms"]
    csv = results["csv"]
    lines += [
        "",
        f"deep / first page p50: {deep / first:.2f}",
        f"CSV: {csv['rows']} rows in {csv['seconds']} s ({csv['rows_per_s']} rows/s, "
        f"{csv['mib_per_s']} MiB/s); server VmHWM {csv['vmhwm_before_kib'] // 1024} MiB "
        f"before, {csv['vmhwm_after_kib'] // 1024} MiB after",
    ]
    return "\n".join(lines)


def main() -> None:
    api_main(api_parser(__doc__, page=100), run, report)


if __name__ == "__main__":
    main()
