"""Shared harness for the benchmarks: a `frontdesk serve` child process and timed loops.

Used by bench/imbox_bench.py and bench/v3_bench.py. Every response, including the
warm-up request in `measure`, must answer HTTP 200 or the run stops with RuntimeError.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

Request = Callable[[httpx.Client, int], httpx.Response]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory(pid: int) -> dict[str, int]:
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
            total += _memory(current).get("VmRSS", 0)
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
    its workers) to those CPUs with taskset, away from the load generator.
    """

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        *,
        workers: int = 1,
        cpus: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = _free_port()
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
        executable = Path(sys.executable).parent / "frontdesk"
        command = pinned([str(executable), "serve", "--workers", str(workers)], cpus)
        self.log = (data_dir / "server.log").open("w")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited; see server.log in the data directory")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz in time")

    def memory(self) -> dict[str, int]:
        return _memory(self.process.pid)

    def tree_rss_kib(self) -> int:
        return tree_rss_kib(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _check(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")


def sequential(base: str, request: Request, count: int) -> dict[str, float]:
    timings: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for i in range(count):
            started = time.perf_counter()
            response = request(client, i)
            timings.append(time.perf_counter() - started)
            _check(response)
    return {"p50_ms": _ms(timings, 0.5), "p99_ms": _ms(timings, 0.99), "n": count}


def concurrent(base: str, request: Request, count: int, workers: int) -> dict[str, float]:
    def run(worker: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
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
    with httpx.Client(base_url=base, timeout=120) as client:
        _check(request(client, 0))  # warm caches and the credential's last_used stamp
    return {**sequential(base, request, count), **concurrent(base, request, count, workers)}
