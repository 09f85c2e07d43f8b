"""Where a web page's time goes: statements, transactions and a profile, in process.

    .venv/bin/python -m bench.web_profile --database-url postgresql://postgres@127.0.0.1:5432/x
    .venv/bin/python -m bench.web_profile --database-url ... --seed 100000   # seed it first
    .venv/bin/python -m bench.web_profile --database-url ... --profile list  # cProfile, top 40

The ASGI app is called in this process with the thread pool bypassed (sync routes run on
the event loop's thread), so cProfile sees the route, the core and the render on one
thread. Statements and transactions are counted with SQLAlchemy's event hooks on the
app's engine, here and not in the app: on PostgreSQL each statement, BEGIN and COMMIT is a
round trip to the server. The seeded account's details are kept next to the database in
a JSON file (`--state`), so the 100,000-ticket seed is made once.

On a shared machine wall time and even CPU time move with the neighbours' load; the
profile's count of function calls per request does not, and tracks Python's share of a
change (the queue: 32,000 calls a request before its rows became a component, 21,000 after).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.seed import Seeded, seed
from frontdesk.app import create_app
from frontdesk.settings import Settings

Receive = Callable[[], Any]


@dataclass
class Tally:
    """What one request cost the database: statements (their SQL kept), transactions."""

    statements: list[str] = field(default_factory=list)
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0
    checkouts: int = 0

    @property
    def round_trips(self) -> int:
        """On PostgreSQL: each statement, each transaction's BEGIN and COMMIT/ROLLBACK, and
        the pool's liveness ping (`pool_pre_ping`) on each checkout."""
        return len(self.statements) + self.begins + self.commits + self.rollbacks + self.checkouts


@contextmanager
def counting(engine: Engine) -> Iterator[Tally]:
    tally = Tally()

    def statement(*args: Any) -> None:
        tally.statements.append(" ".join(str(args[2]).split())[:160])

    def begin(conn: Any) -> None:
        tally.begins += _sends(conn)

    def commit(conn: Any) -> None:
        tally.commits += _sends(conn)

    def rollback(conn: Any) -> None:
        tally.rollbacks += _sends(conn)

    def checkout(*_args: Any) -> None:
        tally.checkouts += 1

    hooks = [
        ("before_cursor_execute", statement),
        ("begin", begin),
        ("commit", commit),
        ("rollback", rollback),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    event.listen(engine.pool, "checkout", checkout)
    try:
        yield tally
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)
        event.remove(engine.pool, "checkout", checkout)


def _sends(conn: Any) -> int:
    """1 when BEGIN / COMMIT reaches the server: not in autocommit (PostgreSQL's reads)."""
    return 0 if getattr(conn.connection.dbapi_connection, "autocommit", False) else 1


async def _inline(func: Callable[..., Any], *args: Any, **_kwargs: Any) -> Any:
    return func(*args)


@contextmanager
def no_thread_pool() -> Iterator[None]:
    """Run what would go to the thread pool on the calling thread (for the profiler)."""
    original = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


class InProcess:
    """GET requests straight into the ASGI app; the answer's status and body."""

    def __init__(self, app: Any, cookie: str) -> None:
        self.app = app
        self.cookie = cookie

    async def get(self, path: str) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": route, "raw_path": route.encode(),
            "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"cookie", self.cookie.encode())],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
        }  # fmt: skip
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, body


def _state(path: Path, settings: Settings, tickets: int) -> Seeded:
    if tickets:
        seeded = seed(settings, tickets, 3)
        path.write_text(json.dumps(asdict(seeded)))
        return seeded
    return Seeded(**json.loads(path.read_text()))


def _sign_in(app: Any, seeded: Seeded) -> str:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        form = client.get("/login")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"email": seeded.web_email, "password": seeded.web_password, "csrf_token": token}
        client.post("/login", data=data, follow_redirects=False)
        return f"fd_session={client.cookies['fd_session']}"


def pages(seeded: Seeded) -> dict[str, list[str]]:
    return {
        "list": ["/tickets?" + urlencode({"view": "open"})],
        "ticket": [f"/tickets/{i}" for i in seeded.thread_ticket_ids],
        "views": ["/tickets/views"],
    }


async def _run(app: Any, cookie: str, paths: dict[str, list[str]], args: Any) -> None:
    client = InProcess(app, cookie)
    engine: Engine = app.state.services.store.engine
    for name, urls in paths.items():
        if args.page and name != args.page:
            continue
        status, _ = await client.get(urls[0])  # warm: templates, caches, connections
        with counting(engine) as tally:
            status, body = await client.get(urls[-1])
        print(f"{name}: HTTP {status}, {len(body)} bytes, {len(tally.statements)} statements,"
              f" {tally.begins} BEGINs, {tally.round_trips} round trips")  # fmt: skip
        if args.sql:
            for sql in tally.statements:
                print("   ", sql)
        times, cpu = [], []
        for index in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            await client.get(urls[index % len(urls)])
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        times.sort()
        print(f"   in process: median {statistics.median(times):.2f} ms, best {times[0]:.2f} ms;"
              f" CPU median {statistics.median(cpu):.2f} ms")  # fmt: skip
        if args.profile == name:
            profiler = cProfile.Profile()
            profiler.enable()
            for index in range(args.repeat):
                await client.get(urls[index % len(urls)])
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "fd-webprof"))
    parser.add_argument("--state", help="the seed's JSON (default: in --data-dir)")
    parser.add_argument("--seed", type=int, default=0, help="seed this many tickets first")
    parser.add_argument("--page", choices=["list", "ticket", "views"])
    parser.add_argument("--profile", choices=["list", "ticket", "views"])
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sql", action="store_true", help="print each statement")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, database_url=args.database_url).resolved()
    state = Path(args.state) if args.state else data_dir / "seeded.json"
    seeded = _state(state, settings, args.seed)
    app = create_app(settings)
    cookie = _sign_in(app, seeded)
    with no_thread_pool():
        asyncio.run(_run(app, cookie, pages(seeded), args))


if __name__ == "__main__":
    main()
