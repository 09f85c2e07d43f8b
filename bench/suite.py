"""The benchmark suite behind `bench/run`: Frontdesk, its ceiling and its peer, one run.

For each backend (SQLite, PostgreSQL): seed N tickets x M messages (bench/seed.py), start
`frontdesk serve --workers W` pinned to CPU 0, and measure with wrk pinned to CPU 1
(bench/load.py): the bare ceiling (a bare Starlette app served by uvicorn with the same
options, workers and pinning: bench/bare.py), the ceiling (GET /healthz on the Frontdesk
server, through its middleware), ImBox listTickets first
page, a deep cursor page and a status filter, one ticket with its messages (native API),
InboxOps full-text search for a rare and a common word, creating tickets (native API),
then one streamed CSV export of every ticket with the server's resident memory sampled
throughout. Then django-helpdesk (bench/peer.py) with the same data, workers and wrk
settings. Then how list, deep page, one ticket, search and create grow with the number of
tickets: one row per size and backend, each seeded with `--growth-messages` per ticket (1
by default, so that 10,000,000 tickets fit the disk; the main run is reused for its size
only when its messages per ticket are the same). Results: bench/results/suite[-quick].json
and .md; the markdown is what docs/benchmarks.md quotes.

    bench/run                         # the full run (100,000 tickets; growth to 1,000,000)
    bench/run --quick                 # 10,000 tickets, short passes, no growth rows
    bench/run --backends sqlite --no-peer --growth 10000,100000
    bench/run --quick --compare-ref HEAD~1   # before/after: REF against the working tree
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import psycopg

from bench import compare, peer
from bench.harness import BareServer, Server
from bench.load import LoadSettings, Op, measure, wrk_available
from bench.report import markdown
from bench.seed import Seeded, seed
from frontdesk.settings import Settings
from frontdesk.storage.db import normalise_url

PAGE = 25
RARE, COMMON = "zeppelin", "invoice"  # one ticket in 1,000; about a third of messages
SERVER_CPUS, LOAD_CPUS = "0", "1"
# No inbound SMTP listener: its fixed port could clash with another server on the machine,
# and the suite measures HTTP only.
QUIET_SERVER = {"FRONTDESK_SMTP_PORT": "0"}
RESULTS = Path(__file__).parent / "results"
SEARCH_OPS = {"search, rare word": RARE, "search, common word": COMMON}
BARE = "bare ceiling"
GROWTH_OPS = (
    "ceiling", "list first page", "list deep page", "one ticket", *SEARCH_OPS, "create",
)  # fmt: skip


def frontdesk_ops(seeded: Seeded) -> dict[str, Op]:
    """Operation name -> the requests wrk sends for it (a name is a row in the table)."""
    key, user, ws = seeded.api_key, seeded.account_id, seeded.workspace_id
    imbox = f"/message/listTickets/{key}/{user}"
    bearer = {"Authorization": f"Bearer {key}"}
    inboxops = {**bearer, "x-workspace-id": ws}
    rng = random.Random(11)
    ids = [rng.randint(seeded.first_ticket_id, seeded.last_ticket_id) for _ in range(2000)]
    deep = max(seeded.first_ticket_id, seeded.last_ticket_id - 2 * PAGE)  # a full page

    def get(name: str, path: str, headers: dict[str, str] | None = None) -> Op:
        return Op(name, [("GET", path, "")], headers or {})

    ops = {
        "ceiling": get("GET /healthz", "/healthz"),
        "list first page": get("ImBox listTickets", f"{imbox}?limit={PAGE}"),
        "list deep page": get(
            "ImBox listTickets, cursor", f"{imbox}?limit={PAGE}&cursorId={deep}&cursorUpdated=0"
        ),
        "status filter": get("ImBox listTickets, status", f"{imbox}?limit={PAGE}&status=pending"),
        "one ticket": Op(
            "native GET /api/v1/tickets/{id}",
            [("GET", f"/api/v1/tickets/{i}", "") for i in ids],
            bearer,
        ),
    }
    for name, word in SEARCH_OPS.items():
        path = f"/v1/workspaces/{ws}/tickets?search={word}&limit={PAGE}"
        ops[name] = get(f"InboxOps ?search={word}", path, inboxops)
    ops["create"] = Op("native POST /api/v1/tickets", _creates(seeded), bearer)
    return ops


WEB_OPS = ("web ticket list", "web ticket page", "web view counts")


def web_ops(base: str, seeded: Seeded) -> dict[str, Op]:
    """The web app's two pages, signed in: the queue (All open) and a 10-message ticket."""
    cookie = {"Cookie": f"fd_session={web_session(base, seeded)}"}
    pages = [("GET", f"/tickets/{i}", "") for i in seeded.thread_ticket_ids]
    return {
        "web ticket list": Op(
            "web GET /tickets?view=open", [("GET", "/tickets?view=open", "")], cookie
        ),
        "web ticket page": Op("web GET /tickets/{id} (10 messages)", pages, cookie),
        "web view counts": Op("web GET /tickets/views", [("GET", "/tickets/views", "")], cookie),
    }


def web_session(base: str, seeded: Seeded) -> str:
    """Sign in through the form, as a browser does; the session cookie's value."""
    with httpx2.Client(base_url=base, timeout=30) as client:
        form = client.get("/login")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post(
            "/login",
            data={"email": seeded.web_email, "password": seeded.web_password, "csrf_token": token},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"bench sign-in failed: HTTP {answer.status_code}")
        return str(client.cookies["fd_session"])


def _creates(seeded: Seeded) -> list[tuple[str, str, str]]:
    bodies = []
    for i in range(2000):
        body = {
            "subject": f"Benchmark ticket {i}",
            "requester_email": f"new{i}@example.org",
            "inbox_id": seeded.inbox_ids[0],
            "labels": ["bench"],
            "message": {"body": "Hello, the booking widget times out on Firefox. Thanks."},
        }
        bodies.append(("POST", "/api/v1/tickets", json.dumps(body)))
    return bodies


def csv_export(server: Server, seeded: Seeded) -> dict[str, Any]:
    """One streamed export of every ticket; the server's memory sampled every 10 ms."""
    path = f"/message/listTickets/{seeded.api_key}/{seeded.account_id}"
    before = server.tree_rss_kib()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            peak[0] = max(peak[0], server.tree_rss_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    lines = size = 0
    try:
        with (
            httpx2.Client(base_url=server.base, timeout=1800) as client,
            client.stream("GET", path, params={"fileType": "csv"}) as response,
        ):
            if response.status_code != 200:
                return {"ok": False, "error": f"HTTP {response.status_code}"}
            for chunk in response.iter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        took = time.perf_counter() - started
        stop.set()
        sampler.join()
    return {
        "ok": True,
        "rows": lines - 1,
        "seconds": round(took, 2),
        "rows_per_s": round((lines - 1) / took),
        "mib": round(size / 2**20, 1),
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(peak[0] / 1024, 1),
        "rss_growth_mib": round((peak[0] - before) / 1024, 1),
    }


@contextmanager
def database(backend: str, pg_url: str, label: str) -> Iterator[tuple[Path, str]]:
    """A fresh data directory, and for PostgreSQL a fresh database; both removed after."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"frontdesk-bench-{label}-"))
    name = f"frontdesk_bench_{label}_{os.getpid()}".replace("-", "_")
    url = ""
    if backend == "postgresql":
        _admin(pg_url, f'CREATE DATABASE "{name}"')
        url = pg_url.rstrip("/") + f"/{name}"
    try:
        yield data_dir, url
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if backend == "postgresql":
            _admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(pg_url: str, statement: str) -> None:
    with psycopg.connect(pg_url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(statement.encode())


# A server's start (imports, migrations checked) took over 120 s on a machine loaded ten
# times over by other work; give it longer before calling the run failed.
STARTUP_SECONDS = 300
# The bulk load's COPY of 300,000 messages outlasted the app's 30 s statement timeout on
# PostgreSQL while other work loaded the machine; the limit is for requests, not seeding.
SEED_STATEMENT_TIMEOUT_SECONDS = 1800.0


def _seed(data_dir: Path, url: str, tickets: int, messages: int) -> tuple[Settings, Seeded]:
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        db_statement_timeout_seconds=SEED_STATEMENT_TIMEOUT_SECONDS,
    ).resolved()
    seeded = seed(settings, tickets, messages)
    print(
        f"  seeded {seeded.tickets} tickets, {seeded.messages} messages in {seeded.seconds} s "
        f"({seeded.rows_per_second} rows/s)",
        flush=True,
    )
    return settings, seeded


def _measure_all(
    server: Server, ops: dict[str, Op], names: tuple[str, ...] | None, load: LoadSettings
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, op in ops.items():
        if names is not None and name not in names:
            continue
        figures = measure(server.base, op, load)
        results[name] = {"route": op.name, **figures}
        print(f"  {name} [{op.name}]: {_brief(figures)}", flush=True)
    return results


def bare_ceiling(log_dir: Path, workers: int, load: LoadSettings) -> dict[str, Any]:
    """GET /healthz of the bare Starlette app, on the CPU the Frontdesk server is pinned to
    (idle meanwhile): what uvicorn and the event loop alone do on this machine now."""
    bare = BareServer(log_dir, workers=workers, cpus=SERVER_CPUS)
    op = Op("bare Starlette GET /healthz", [("GET", "/healthz", "")], {})
    try:
        bare.wait(STARTUP_SECONDS)
        figures = measure(bare.base, op, load)
    finally:
        bare.stop()
    print(f"  {BARE} [{op.name}]: {_brief(figures)}", flush=True)
    return {"route": op.name, **figures}


def _brief(figures: dict[str, Any]) -> str:
    if not figures.get("ok"):
        return f"FAILED {figures.get('error') or figures.get('errors')}"
    return f"{figures['req_per_s']} req/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms"


def run_frontdesk(
    backend: str, args: argparse.Namespace, load: LoadSettings, tickets: int, *, full: bool
) -> dict[str, Any]:
    """Seed, serve, measure; `full` adds the status filter, the web pages and CSV, and seeds
    `args.messages` per ticket (a growth row: `args.growth_messages`)."""
    messages = args.messages if full else args.growth_messages
    print(f"frontdesk on {backend}, {tickets} tickets x {messages} messages", flush=True)
    with database(backend, args.pg_url, f"{backend}-{tickets}") as (data_dir, url):
        settings, seeded = _seed(data_dir, url, tickets, messages)
        server = Server(
            data_dir,
            settings.database_url,
            workers=args.workers,
            cpus=SERVER_CPUS,
            extra_env=QUIET_SERVER,
        )
        try:
            server.wait(STARTUP_SECONDS)
            names = (args.ops or None) if full else GROWTH_OPS
            ops = frontdesk_ops(seeded)
            if full and (names is None or set(WEB_OPS) & set(names)):
                ops |= web_ops(server.base, seeded)
            results = {}
            if full and (names is None or BARE in names):
                results[BARE] = bare_ceiling(data_dir, args.workers, load)
            results |= _measure_all(server, ops, names, load)
            if full and (names is None or "csv export" in names):
                results["csv export"] = csv_export(server, seeded)
                print(f"  csv export: {results['csv export']}", flush=True)
        finally:
            server.stop()
    seed_info = asdict(seeded) | {"api_key": "...", "database_url": backend}
    return {"backend": backend, "tickets": tickets, "seed": seed_info, "operations": results}


def run_peer(args: argparse.Namespace, load: LoadSettings) -> dict[str, Any]:
    print(f"django-helpdesk, {args.tickets} tickets", flush=True)
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-peer-"))
    try:
        return peer.run(
            args.peer_venv,
            data_dir,
            args.tickets,
            args.messages,
            SEARCH_OPS,
            load,
            args.workers,
            SERVER_CPUS,
            only=args.ops or None,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def machine(pg_url: str, backends: list[str]) -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if "model name" in line),
        platform.processor(),
    )
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_start": os.getloadavg(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _output(["wrk", "-v"]).split(" [")[0].strip(),
        "pinning": "server on CPU 0, wrk on CPU 1 (taskset)" if (os.cpu_count() or 1) > 1 else "",
    }
    for package in ("fastapi", "uvicorn", "sqlalchemy", "psycopg"):
        info[package] = _version(package)
    if "postgresql" in backends:
        with psycopg.connect(pg_url.rstrip("/") + "/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else "?"
    return info


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _output(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def growth(
    args: argparse.Namespace,
    load: LoadSettings,
    main: dict[str, dict[str, Any]],
    saved: Callable[[list[dict[str, Any]]], None] = lambda rows: None,
) -> list[dict[str, Any]]:
    """One row per size and backend; `saved` gets the rows so far after each (a run of
    hours keeps what it measured when a later size fails)."""
    rows: list[dict[str, Any]] = []
    for size in args.growth:
        for backend in args.backends:
            same_seed = size == args.tickets and args.messages == args.growth_messages
            if same_seed and backend in main:
                found = main[backend]
                ops = {k: v for k, v in found["operations"].items() if k in GROWTH_OPS}
                rows.append({"tickets": size, "backend": backend, "seed": found["seed"], **ops})
                saved(rows)
                continue
            found = run_frontdesk(backend, args, load, size, full=False)
            rows.append(
                {"tickets": size, "backend": backend, "seed": found["seed"], **found["operations"]}
            )
            saved(rows)
    return rows


def run_compare(args: argparse.Namespace, load: LoadSettings) -> dict[str, Any]:
    """Measure `args.compare_ref` (before) and the working tree (after), alternating."""
    uow = Path(__file__).resolve().parent.parent
    results: dict[str, Any] = {
        "before": compare.version_of(uow, args.compare_ref),
        "after": compare.version_of(uow),
        "tickets": args.tickets,
        "rounds": args.rounds,
        "duration": load.duration,
        "connections": load.connections,
        "machine": machine(args.pg_url, args.backends),
        "backends": {},
    }
    with compare.worktree(uow, args.compare_ref) as old:
        sources = {compare.BEFORE: old / "src", compare.AFTER: uow / "src"}
        for src in sources.values():
            compare.check_imports(src)
        shared = compare.migrations_digest(old / "src") == compare.migrations_digest(uow / "src")
        for backend in args.backends:
            found = _compare_backend(backend, args, load, sources, old if not shared else None)
            results["backends"][backend] = {"shared_database": shared, **found}
    return results


def _compare_backend(
    backend: str,
    args: argparse.Namespace,
    load: LoadSettings,
    sources: dict[str, Path],
    old_tree: Path | None,
) -> dict[str, Any]:
    """Both versions served at once; every operation measured on each in turn. With
    `old_tree` (the schemas differ) the old version gets a database of its own, seeded
    by its own bench/seed.py."""
    print(f"before/after on {backend}, {args.tickets} tickets", flush=True)
    label = f"compare-{backend}"
    with ExitStack() as stack:
        data_dir, url = stack.enter_context(database(backend, args.pg_url, label))
        settings, seeded = _seed(data_dir, url, args.tickets, args.messages)
        targets = {compare.AFTER: (data_dir, settings.database_url, seeded)}
        targets[compare.BEFORE] = targets[compare.AFTER]
        if old_tree is not None:
            own = stack.enter_context(database(backend, args.pg_url, f"{label}-before"))
            targets[compare.BEFORE] = _seed_by(old_tree, *own, args)
        servers = {
            side: Server(
                directory, database_url, workers=args.workers, cpus=SERVER_CPUS,
                extra_env=QUIET_SERVER, src=sources[side], name=f"server-{side}",
            )
            for side, (directory, database_url, _) in targets.items()
        }  # fmt: skip
        try:
            for server in servers.values():
                server.wait(STARTUP_SECONDS)
            return _alternate(servers, targets, args.rounds, load)
        finally:
            for server in servers.values():
                server.stop()


def _alternate(
    servers: dict[str, Server],
    targets: dict[str, tuple[Path, str, Seeded]],
    rounds: int,
    load: LoadSettings,
) -> dict[str, Any]:
    ops = {side: frontdesk_ops(seeded) for side, (_, _, seeded) in targets.items()}
    passes: dict[str, dict[str, list[dict[str, Any]]]] = {side: {} for side in servers}
    for name, side in compare.schedule(list(ops[compare.AFTER]), rounds):
        figures = measure(servers[side].base, ops[side][name], load)
        passes[side].setdefault(name, []).append(figures)
        print(f"  {name}, {side}: {_brief(figures)}", flush=True)
    return {
        side: {name: compare.summarise(found) for name, found in by_name.items()}
        for side, by_name in passes.items()
    }


def _seed_by(
    tree: Path, data_dir: Path, url: str, args: argparse.Namespace
) -> tuple[Path, str, Seeded]:
    """Seeding by another tree's own code (its bench/seed.py, on its schema)."""
    program = (
        "import dataclasses, json, sys\n"
        "from pathlib import Path\n"
        "from bench.seed import seed\n"
        "from frontdesk.settings import Settings\n"
        "settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2]).resolved()\n"
        "print(json.dumps(dataclasses.asdict(seed(settings, int(sys.argv[3]), int(sys.argv[4])))))"
    )
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    command = [sys.executable, "-c", program, str(data_dir), url, str(args.tickets)]
    done = subprocess.run(
        [*command, str(args.messages)], env=env, cwd=tree, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    seeded = Seeded(**json.loads(done.stdout.strip().splitlines()[-1]))
    return data_dir, seeded.database_url, seeded


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tickets, 3 s passes")
    parser.add_argument("--tickets", type=int, default=None, help="default 100,000")
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--duration", type=int, default=None, help="seconds per pass")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument(
        "--growth", default=None, help="ticket counts, e.g. 10000,100000,1000000; 'none' to skip"
    )
    parser.add_argument(
        "--growth-messages",
        type=int,
        default=1,
        help="messages per ticket in the growth rows (1: 10,000,000 tickets fit the disk)",
    )
    parser.add_argument(
        "--peer-venv", type=Path, default=Path(__file__).parent / "peers/django-helpdesk/.venv"
    )
    parser.add_argument("--out", type=Path, default=None, help="results base name")
    parser.add_argument(
        "--compare-ref",
        default=None,
        help="measure this git ref (before) against the working tree (after) instead",
    )
    parser.add_argument("--rounds", type=int, default=2, help="passes per side with --compare-ref")
    parser.add_argument(
        "--ops",
        default="",
        help="only these operations (comma-separated names, e.g. 'ceiling,web ticket list')",
    )
    args = parser.parse_args(argv)
    args.tickets = args.tickets or (10_000 if args.quick else 100_000)
    args.duration = args.duration or (3 if args.quick else 5)
    default_growth = "none" if args.quick else "10000,100000,1000000"
    spec = args.growth or default_growth
    args.growth = [] if spec == "none" else [int(v) for v in spec.split(",")]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.ops = [name.strip() for name in args.ops.split(",") if name.strip()]
    args.pg_url = normalise_url(args.pg_url).replace("postgresql+psycopg://", "postgresql://")
    name = "compare" if args.compare_ref else "suite"
    args.out = args.out or RESULTS / (f"{name}-quick" if args.quick else name)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if not wrk_available():
        raise SystemExit("wrk is not installed (bench/run installs it: apt-get install wrk)")
    load = LoadSettings(duration=args.duration, connections=args.connections, cpus=LOAD_CPUS)
    if args.compare_ref:
        compared = run_compare(args, load)
        _save(args.out, compared, compare.markdown)
        print(compare.markdown(compared))
        print(f"\nwritten: {args.out}.json, {args.out}.md")
        return
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.pg_url, args.backends),
        "settings": {
            "tickets": args.tickets,
            "messages_per_ticket": args.messages,
            "workers": args.workers,
            "wrk": f"-t1, latency pass -c1, throughput pass -c{args.connections}, "
            f"-d{args.duration}s each, --timeout {load.timeout}s",
            "page": PAGE,
            "search_words": SEARCH_OPS,
        },
    }
    main_runs = {b: run_frontdesk(b, args, load, args.tickets, full=True) for b in args.backends}
    results["frontdesk"] = main_runs
    _save(args.out, results)
    if args.peer:
        results["peer"] = run_peer(args, load)
        _save(args.out, results)
    results["growth"] = growth(
        args, load, main_runs, lambda rows: _save(args.out, results | {"growth": rows})
    )
    results["machine"]["load_average_end"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started)
    _save(args.out, results)
    print(markdown(results))
    print(f"\nwritten: {args.out}.json, {args.out}.md ({results['seconds']} s)")


def _save(
    base: Path, results: dict[str, Any], render: Callable[[dict[str, Any]], str] = markdown
) -> None:
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    base.with_suffix(".md").write_text(render(results) + "\n")


if __name__ == "__main__":
    main()
