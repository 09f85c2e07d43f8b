"""The peer: django-helpdesk (PyPI) under gunicorn on SQLite, driven like Frontdesk.

bench/peers/django-helpdesk/setup.sh builds its own virtualenv; seed.py (run with that
virtualenv's Python) loads the same number of tickets and messages with the same prose;
gunicorn serves it pinned to the server CPU with as many worker processes as Frontdesk
gets (gthread workers, 4 threads each, so that keep-alive connections work as they do
with uvicorn). The operations are the ones django-helpdesk has, each through every route
it offers: its REST API under /api/ and the JSON endpoint behind its staff ticket list
(`datatables_ticket_list`, which is what the staff UI's list, filters and keyword search
call). The ratio to Frontdesk uses the peer's faster route for each operation.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import free_port, pinned, terminate
from bench.load import LoadSettings, Op, measure
from bench.seed import WEB_THREAD, WEB_THREADS

HERE = Path(__file__).parent / "peers" / "django-helpdesk"
PAGE = 25


@dataclass
class PeerSeed:
    session: str
    csrf: str
    queue_id: int
    first_ticket_id: int
    last_ticket_id: int
    tickets: int
    messages: int
    seconds: float
    # the staff ticket page's tickets: as many, with as many follow-ups, as Frontdesk's
    # web ticket page reads (bench/seed.py, WEB_THREADS x WEB_THREAD)
    thread_ticket_ids: list[int]
    thread_messages: int


def install(venv: Path) -> str:
    """Run setup.sh (a no-op once installed); the installed django-helpdesk version."""
    env = {**os.environ, "PEER_VENV": str(venv)}
    subprocess.run([str(HERE / "setup.sh")], env=env, check=True)
    probe = "import importlib.metadata as m; print(m.version('django-helpdesk'))"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def seed(venv: Path, data_dir: Path, tickets: int, messages: int) -> PeerSeed:
    env = {**os.environ, "PEER_DATA_DIR": str(data_dir)}
    sizes = ["--tickets", str(tickets), "--messages", str(messages)]
    sizes += ["--threads", str(WEB_THREADS), "--thread-messages", str(WEB_THREAD)]
    done = subprocess.run(
        [str(venv / "bin" / "python"), "seed.py", *sizes],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"peer seed failed: {done.stderr[-2000:]}")
    return PeerSeed(**json.loads(done.stdout.strip().splitlines()[-1]))


class PeerServer:
    """gunicorn serving the peer project; stopped by its own pid only."""

    def __init__(self, venv: Path, data_dir: Path, workers: int, cpus: str | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            str(venv / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "600",
            "peerproj.wsgi:application",
        ]
        self.log = (data_dir / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            pinned(command, cpus),
            cwd=HERE,
            env={**os.environ, "PEER_DATA_DIR": str(data_dir)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited; see gunicorn.log in the peer data dir")
            try:
                httpx2.get(self.base + "/", timeout=2)
                return
            except httpx2.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the peer did not answer in time")

    def stop(self) -> None:
        terminate(self.process, self.log, timeout=20)


def _datatables(search: str = "", status: list[int] | None = None, start: int = 0) -> str:
    """The staff ticket list's own JSON request, as its page script builds it."""
    query = {
        "filtering": {"status__in": status} if status else {},
        "filtering_null": {},
        "sorting": "created",
        "sortreverse": False,
        "search_string": search,
    }
    encoded = base64.b64encode(json.dumps(query).encode()).decode("ascii")
    return f"/datatables_ticket_list/{encoded}?draw=1&start={start}&length={PAGE}"


def operations(seeded: PeerSeed, words: dict[str, str]) -> dict[str, list[Op]]:
    """Frontdesk operation name -> the peer's routes for it."""
    headers = {
        "Cookie": f"sessionid={seeded.session}; csrftoken={seeded.csrf}",
        "X-CSRFToken": seeded.csrf,
    }
    rng = random.Random(17)
    ids = [rng.randint(seeded.first_ticket_id, seeded.last_ticket_id) for _ in range(500)]
    last_page = max(1, seeded.tickets // PAGE - 1)

    def get(name: str, *paths: str) -> Op:
        return Op(name, [("GET", path, "") for path in paths], headers)

    creates = [
        (
            "POST",
            "/api/tickets/",
            json.dumps(
                {
                    "queue": seeded.queue_id,
                    "title": f"Benchmark ticket {i}",
                    "description": "Hello, the booking widget times out on Firefox. Thanks.",
                    "submitter_email": f"peer{i}@example.org",
                    "priority": 3,
                }
            ),
        )
        for i in range(2000)
    ]
    ops: dict[str, list[Op]] = {
        "list first page": [
            get("staff list JSON", _datatables()),
            get("REST /api/tickets/", "/api/tickets/"),
        ],
        "list deep page": [
            get("staff list JSON, offset", _datatables(start=seeded.tickets - 2 * PAGE)),
            get("REST ?page=", f"/api/tickets/?page={last_page}"),
        ],
        "status filter": [
            get("staff list JSON, status", _datatables(status=[2])),
            get("REST ?status=", "/api/tickets/?status=2"),
        ],
        "one ticket": [
            get("staff ticket page", *(f"/tickets/{i}/" for i in ids)),
            get("REST /api/tickets/{id}/", *(f"/api/tickets/{i}/" for i in ids)),
        ],
        "create": [Op("REST POST /api/tickets/", creates, headers)],
        # The web app's pages: the staff ticket list (its page, then the JSON its script
        # asks for: the two make one list view, LIST_VIEW below) and the staff ticket page
        # on the tickets seeded with ten follow-ups, as ours are read with ten messages.
        "web ticket list": [
            get("staff ticket list page", "/tickets/"),
            get("staff list JSON", _datatables()),
        ],
        "web ticket page": [
            get(
                f"staff ticket page ({WEB_THREAD} follow-ups)",
                *(f"/tickets/{i}/" for i in seeded.thread_ticket_ids),
            )
        ],
    }
    for op_name, word in words.items():
        ops[op_name] = [get(f"staff list JSON, search {word!r}", _datatables(search=word))]
    return ops


def run(
    venv: Path,
    data_dir: Path,
    tickets: int,
    messages: int,
    words: dict[str, str],
    load: LoadSettings,
    workers: int,
    cpus: str | None,
    only: list[str] | None = None,
) -> dict[str, Any]:
    version = install(venv)
    seeded = seed(venv, data_dir, tickets, messages)
    print(f"peer: seeded {seeded.tickets} tickets, {seeded.messages} follow-ups in "
          f"{seeded.seconds} s", flush=True)  # fmt: skip
    server = PeerServer(venv, data_dir, workers, cpus)
    results: dict[str, Any] = {}
    try:
        server.wait(300)  # as long as bench/suite.py gives ours on a loaded machine
        for name, routes in operations(seeded, words).items():
            if only is not None and name not in only:
                continue
            results[name] = {}
            for op in routes:
                figures = measure(server.base, op, load)
                results[name][op.name] = figures
                print(f"peer {name} [{op.name}]: {_brief(figures)}", flush=True)
            if name in SEQUENCES:
                results[name][SEQUENCES[name][0]] = in_sequence(
                    [results[name][route] for route in SEQUENCES[name][1]]
                )
    finally:
        server.stop()
    seed_info = {k: v for k, v in seeded.__dict__.items() if k not in ("session", "csrf")}
    return {"version": version, "seed": seed_info, "workers": workers, "operations": results}


# Operations that the peer's browser makes as several requests, one after the other: the
# staff ticket list page is a shell, and its 25 tickets come from the JSON request its
# script makes next. The comparable figure is the pair, derived from the two measured
# routes (which stay in the results): a list view costs the server the time of both.
LIST_VIEW = "list view: page, then its JSON (derived)"
SEQUENCES = {"web ticket list": (LIST_VIEW, ("staff ticket list page", "staff list JSON"))}


def in_sequence(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests made one after the other as one view: its req/s is 1 / (1/a + 1/b ...),
    its p50 and p99 the sums of the parts' (the p99 a bound: tails seldom coincide)."""
    if not parts or not all(part.get("ok") and part["req_per_s"] for part in parts):
        return {"ok": False, "error": "a part failed", "derived": True}
    return {
        "ok": True,
        "derived": True,
        "req_per_s": round(1 / sum(1 / part["req_per_s"] for part in parts), 2),
        "p50_ms": round(sum(part["p50_ms"] for part in parts), 2),
        "p99_ms": round(sum(part["p99_ms"] for part in parts), 2),
    }


def best(routes: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The peer's figure to compare with: a derived sequence where the operation has one
    (a list view), else the route with the most requests per second that worked."""
    derived = [(name, fig) for name, fig in routes.items() if fig.get("derived")]
    if derived:
        return derived[0]
    working = [(name, fig) for name, fig in routes.items() if fig.get("ok")]
    if not working:
        return None
    return max(working, key=lambda item: item[1]["req_per_s"])


def _brief(figures: dict[str, Any]) -> str:
    if not figures.get("ok"):
        return f"FAILED {figures.get('error', figures.get('errors'))}"
    return f"{figures['req_per_s']} req/s, p50 {figures['p50_ms']} ms"
