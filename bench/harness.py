"""Shared harness for the benchmarks: a `frontdesk serve` child process, timed loops, and
the command line and results file of the API benchmarks (bench/*_bench.py).

Every response, including the warm-up request in `measure`, must answer HTTP 200 or the
run stops with RuntimeError.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx2

Request = Callable[[httpx2.Client, int], httpx2.Response]
REPO = Path(__file__).resolve().parent.parent
R = TypeVar("R")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """The process's current and peak resident memory, in KiB (Linux /proc)."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (uvicorn or gunicorn workers)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += memory_kib(current).get("VmRSS", 0)
        except OSError:
            continue  # gone meanwhile
        pending += _children(current)
    return total


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """The command under `taskset -c CPUS` when asked and possible (Linux, >1 core)."""
    if cpus is None or (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", cpus, *command]


class Server:
    """`frontdesk serve` as a child process; stopped by its own pid only.

    `workers` is passed to `frontdesk serve --workers`; `cpus` pins the server (and so
    its workers) to those CPUs with taskset, away from the load generator. With `src`,
    the code served is that tree's (`python -m frontdesk.cli` with PYTHONPATH=src), for
    comparing two versions; `name` names the log, so that two servers can share a data
    directory.
    """

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        *,
        workers: int = 1,
        cpus: str | None = None,
        extra_env: dict[str, str] | None = None,
        src: Path | None = None,
        name: str = "server",
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_DATABASE_URL": database_url,
            "FRONTDESK_PORT": str(self.port),
            "FRONTDESK_PUBLIC_BASE_URL": self.base,
            # No SMTP listener unless a benchmark asks for one: 2525 may be taken.
            "FRONTDESK_SMTP_PORT": "0",
            **(extra_env or {}),
        }
        frontdesk = [str(Path(sys.executable).parent / "frontdesk")]
        if src is not None:
            env["PYTHONPATH"] = str(src)
            frontdesk = [sys.executable, "-m", "frontdesk.cli"]
        command = pinned([*frontdesk, "serve", "--workers", str(workers)], cpus)
        self.log = (data_dir / f"{name}.log").open("w")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log.name}")
            try:
                if httpx2.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz in time")

    def memory(self) -> dict[str, int]:
        return memory_kib(self.process.pid)

    def tree_rss_kib(self) -> int:
        return tree_rss_kib(self.process.pid)

    def stop(self) -> None:
        terminate(self.process, self.log, timeout=15)


class BareServer(Server):
    """bench/bare.py as a child process: a bare Starlette app under `frontdesk serve`'s
    uvicorn options, with the same workers and CPU pinning; the truthful ceiling."""

    def __init__(self, log_dir: Path, *, workers: int = 1, cpus: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "bench.bare", "--port", str(self.port)]
        command = pinned([*command, "--workers", str(workers)], cpus)
        self.log = (log_dir / "bare.log").open("w")
        # Its workers are spawned processes that import `bench.bare` afresh: from the repo.
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )


def terminate(process: subprocess.Popen[bytes], log: IO[str], *, timeout: float) -> None:
    """Stop a child server by its own pid (killed if it outlasts `timeout`), then its log."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def served(data_dir: Path, database_url: str, keep: bool, scenarios: Callable[[Server], R]) -> R:
    """Run `scenarios` against a `frontdesk serve` on a seeded data directory; the server is
    stopped and (unless `keep`) the directory removed after."""
    server = Server(data_dir, database_url)
    try:
        server.wait()
        return scenarios(server)
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def ms(values: list[float], q: float) -> float:
    """The `q` quantile of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _check(response: httpx2.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")


def sequential(base: str, request: Request, count: int) -> dict[str, float]:
    timings: list[float] = []
    with httpx2.Client(base_url=base, timeout=120) as client:
        for i in range(count):
            started = time.perf_counter()
            response = request(client, i)
            timings.append(time.perf_counter() - started)
            _check(response)
    return {"p50_ms": ms(timings, 0.5), "p99_ms": ms(timings, 0.99), "n": count}


def concurrent(base: str, request: Request, count: int, workers: int) -> dict[str, float]:
    def run(worker: int) -> None:
        with httpx2.Client(base_url=base, timeout=120) as client:
            for i in range(worker, count, workers):
                _check(request(client, i))

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(workers)))
    took = time.perf_counter() - started
    return {"req_per_s": round(count / took, 1), "n": count, "concurrency": workers}


def measure(base: str, request: Request, count: int, workers: int) -> dict[str, float]:
    """Sequential latency and concurrent throughput, after one checked warm-up request.

    The keys are always p50_ms, p99_ms, n, req_per_s, concurrency, in that order.
    """
    with httpx2.Client(base_url=base, timeout=120) as client:
        _check(request(client, 0))  # warm caches and the credential's last_used stamp
    return {**sequential(base, request, count), **concurrent(base, request, count, workers)}


def api_parser(
    doc: str, *, page: int, page_help: str = "limit for list pages"
) -> argparse.ArgumentParser:
    """The options every API benchmark takes; a script adds its own before parsing."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=3, help="messages per ticket")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--requests", type=int, default=300, help="per scenario")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page", type=int, default=page, help=page_help)
    parser.add_argument("--out", type=Path, default=None, help="write the JSON results here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    return parser


def api_main(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
) -> None:
    """Parse, run, print the report, and write the JSON results to --out if given."""
    args = parser.parse_args()
    results = run(args)
    print(report(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
