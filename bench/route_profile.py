"""Where each main route's time goes in a real `frontdesk serve`: py-spy samples the server
while a few client threads repeat the suite's requests for one route (bench/suite.py's
operations), and every sample is put in one bucket by the frames on its stack.

    .venv/bin/python -m bench.route_profile                      # SQLite, 10,000 tickets
    .venv/bin/python -m bench.route_profile --database-url postgresql://postgres@127.0.0.1:5432/x

Buckets: a sample is `auth` when checking the API key or the web session is anywhere on
its stack (its SQL included: that is what auth costs); otherwise the innermost frame that
belongs to a bucket decides (frames of neither, such as contextlib, are passed over):
- SQL: SQLAlchemy (building statements, results), the driver, storage/ row mapping;
- rendering: Pydantic models, JSON encoding, Jinja2 templates, the dialects' translate;
- app code: the domain (frontdesk/core), services, the routes' own Python;
- our middleware: frontdesk/http and the ASGI middleware of api/ and web/;
- framework: uvicorn (parsing, writing to the socket), Starlette, FastAPI's routing and
  dependency solving, anyio's thread-pool hand-off, asyncio; and any stack no bucket
  claims.
One worker process, so that one py-spy sees it all; shares, not milliseconds, are the
result (the sampler and the clients share the machine with the server). By default only
samples of the thread holding the GIL count (`--gil`): with every thread counted, the
thread pool's threads queued for the GIL are sampled wherever they wait and swell the
framework's share. What the GIL leaves out is C code that releases it: SQLite executing
a statement, so `SQL` is Python's share of SQL (building it, reading rows), not the
database's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import Server
from bench.load import Op
from bench.seed import seed
from bench.suite import QUIET_SERVER, frontdesk_ops, web_ops
from frontdesk.settings import Settings

ROUTES = ("ceiling", "list first page", "one ticket", "search, common word", "create")
WEB_ROUTES = ("web ticket list", "web ticket page")
AUTH = (
    "frontdesk/http/auth.py",
    "frontdesk/core/identity/credentials.py",
    "frontdesk/web/session.py",
    "frontdesk/core/identity/sessions.py",
)
BUCKETS = {
    "SQL": ("sqlalchemy/", "sqlite3", "psycopg", "frontdesk/storage/"),
    "rendering": (
        "pydantic", "/json/", "orjson", "jinja2/", "markupsafe", "fastapi/encoders.py",
        "translate.py", "frontdesk/web/templating.py", "frontdesk/api/common/responses.py",
        "/templates/",
    ),
    "our middleware": (
        "frontdesk/http/", "frontdesk/app.py", "frontdesk/web/security.py",
        "frontdesk/api/common/idempotency.py",
    ),
    "app code": (
        "frontdesk/core/", "frontdesk/services/", "frontdesk/api/", "frontdesk/web/",
    ),
    "framework": (
        "uvicorn/", "starlette/", "fastapi/", "anyio/", "asyncio/", "httptools", "selectors.py",
    ),
}  # fmt: skip
ORDER = ["auth", *BUCKETS]


def bucket(stack: str) -> str:
    """`stack`: py-spy's frames, outermost first, separated by `;`."""
    if any(mark in stack for mark in AUTH):
        return "auth"
    for frame in reversed(stack.split(";")):
        for name, marks in BUCKETS.items():
            if any(mark in frame for mark in marks):
                return name
    return "framework"


def shares(raw: str) -> dict[str, float]:
    """py-spy's raw (collapsed) output: `frame;frame;... count` per line."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[bucket(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {name: round(counts[name] / total, 3) for name in ORDER} | {"samples": total}


def drive(base: str, op: Op, seconds: float, clients: int) -> int:
    """Repeat the operation's requests from `clients` threads for `seconds`; how many."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        with httpx2.Client(base_url=base, headers=op.headers, timeout=60) as client:
            i = index
            while time.monotonic() < stop:
                method, path, body = op.requests[i % len(op.requests)]
                headers = {"Content-Type": "application/json"} if body else {}
                answer = client.request(method, path, content=body or None, headers=headers)
                if answer.status_code >= 300:
                    raise RuntimeError(f"{op.name}: HTTP {answer.status_code}")
                done[index] += 1
                i += clients

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def profile(server: Server, op: Op, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    raw = out / f"{op.name.replace('/', '_').replace(' ', '_')}.txt"
    command = [spy, "record", "--pid", str(server.process.pid), "--format", "raw"]
    command += ["--rate", str(args.rate), "--duration", str(args.seconds), "--output", str(raw)]
    command += [] if args.all_threads else ["--gil"]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        requests = drive(server.base, op, args.seconds, args.clients)
    finally:
        sampler.wait(timeout=args.seconds + 30)
    return {"route": op.name, "requests": requests, **shares(raw.read_text())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--seconds", type=int, default=8, help="per route")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=Path("bench/results/route-profile.json"))
    parser.add_argument("--all-threads", action="store_true", help="not only the GIL holder")
    parser.add_argument("--raw", type=Path, default=None, help="keep py-spy's files here")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-profile-"))
    if args.raw:
        args.raw.mkdir(parents=True, exist_ok=True)
    try:
        settings = Settings(data_dir=data_dir, database_url=args.database_url).resolved()
        seeded = seed(settings, args.tickets, 3)
        server = Server(data_dir, settings.database_url, workers=1, extra_env=QUIET_SERVER)
        try:
            server.wait(300)
            ops = frontdesk_ops(seeded) | web_ops(server.base, seeded)
            raw = args.raw or data_dir
            names = (*ROUTES, *WEB_ROUTES)
            results = {name: profile(server, ops[name], args, raw) for name in names}
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| route | requests | " + " | ".join(ORDER) + " |",
        "|---|---:|" + "---:|" * len(ORDER),
    ]
    for name, found in results.items():
        cells = " | ".join(f"{found[b]:.0%}" for b in ORDER)
        lines.append(f"| {name} ({found['route']}) | {found['requests']:,} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
