"""The load driver: wrk on loopback, pinned apart from the server, read through Lua.

One operation is a list of requests (method, path, body) and headers; wrk cycles through
the list on every connection (bench/wrk/requests.lua), so random ticket ids and distinct
new tickets keep varying for the whole run. Each operation is measured twice with the
same settings for every server:

- latency: one connection, requests back to back: p50 / p99 of a request on an otherwise
  idle server (what a user waits);
- throughput: `connections` connections for the same duration: requests per second at
  saturation (and the loaded p50 / p99, which mostly reflect the queue).

Before each run one request is sent with httpx2 and must answer 2xx, and a run with non-2xx
answers or socket errors is reported as failed: a fast error page is not a fast endpoint.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import pinned

SCRIPT = Path(__file__).parent / "wrk" / "requests.lua"
_MARK = re.compile(r"^WRK_JSON (\{.*\})$", re.MULTILINE)


@dataclass
class Op:
    """One operation: the requests wrk cycles through and the headers sent with each."""

    name: str
    requests: list[tuple[str, str, str]]  # method, path (with query), body ("" for none)
    headers: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        lines = [f"H\t{name}\t{value}" for name, value in self.headers.items()]
        for method, target, body in self.requests:
            if "\t" in target + body or "\n" in target + body:
                raise ValueError(f"{self.name}: tabs and newlines cannot travel in a line")
            lines.append(f"R\t{method}\t{target}\t{body}")
        path.write_text("\n".join(lines) + "\n")


@dataclass
class LoadSettings:
    duration: int = 5  # whole seconds per pass (wrk takes no fractions)
    connections: int = 8  # for the throughput pass
    timeout: int = 60  # seconds, wrk's per-request timeout
    cpus: str | None = "1"  # where wrk runs (the servers take cpu 0)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _check(base: str, op: Op) -> None:
    method, target, body = op.requests[0]
    headers = dict(op.headers)
    if body:
        headers.setdefault("Content-Type", "application/json")
    response = httpx2.request(
        method, base + target, headers=headers, content=body or None, timeout=300
    )
    if not response.is_success:
        raise RuntimeError(
            f"{op.name}: {method} {target} answered HTTP {response.status_code}: "
            f"{response.text[:300]}"
        )


def run_wrk(base: str, op: Op, connections: int, load: LoadSettings) -> dict[str, Any]:
    """One wrk run; its figures from the Lua `done` line."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-wrk-") as tmp:
        requests_file = Path(tmp) / "requests.tsv"
        op.write(requests_file)
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(load.duration))}s",
            f"--timeout={load.timeout}s",
            "-s",
            str(SCRIPT),
            base,
            "--",
            str(requests_file),
        ]
        done = subprocess.run(
            pinned(command, load.cpus),
            capture_output=True,
            text=True,
            timeout=load.duration + load.timeout + 30,
            check=False,
        )
    found = _MARK.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{op.name}: wrk failed: {done.stderr.strip() or done.stdout[-500:]}")
    return wrk_figures(json.loads(found.group(1)))


def wrk_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """The figures of one wrk run from the JSON its Lua `done` printed (microseconds)."""
    errors = sum(raw["errors"].values())
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "req_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "errors": raw["errors"],
        "ok": errors == 0 and raw["requests"] > 0,
    }


def _sequential(base: str, op: Op, count: int, budget: float = 30.0) -> dict[str, Any]:
    """For endpoints so slow that wrk completes almost nothing in a pass: up to `count`
    requests one after another, fewer once `budget` seconds are spent (at least one)."""
    timings: list[float] = []
    with httpx2.Client(base_url=base, headers=op.headers, timeout=600) as client:
        for i in range(count):
            if timings and sum(timings) > budget:
                break
            method, target, body = op.requests[i % len(op.requests)]
            headers = {"Content-Type": "application/json"} if body else {}
            started = time.perf_counter()
            response = client.request(method, target, content=body or None, headers=headers)
            timings.append(time.perf_counter() - started)
            if not response.is_success:
                raise RuntimeError(f"{op.name}: HTTP {response.status_code}")
    return sequential_figures(timings)


def sequential_figures(timings: list[float]) -> dict[str, Any]:
    """The figures of requests sent one after another, from their durations in seconds."""
    timings = sorted(timings)
    return {
        "requests": len(timings),
        "req_per_s": round(len(timings) / sum(timings), 3),
        "p50_ms": round(timings[len(timings) // 2] * 1000, 1),
        "p99_ms": round(timings[-1] * 1000, 1),
        "errors": {},
        "ok": True,
        "tool": "httpx2, one request after another (wrk completed too few)",
    }


MIN_REQUESTS = 5


def measure(base: str, op: Op, load: LoadSettings) -> dict[str, Any]:
    """Latency at one connection, throughput at `load.connections`; never raises for a
    failed run (it is recorded, so that one broken endpoint does not lose the table)."""
    try:
        _check(base, op)
        latency = run_wrk(base, op, 1, load)
        if latency["requests"] < MIN_REQUESTS:
            slow = _sequential(base, op, 3)
            return {**slow, "p50_loaded_ms": None, "p99_loaded_ms": None}
        throughput = run_wrk(base, op, load.connections, load)
    except (RuntimeError, httpx2.HTTPError, subprocess.TimeoutExpired) as exc:
        return {"ok": False, "error": str(exc)[:500]}
    return combined(latency, throughput, load.connections)


def combined(
    latency: dict[str, Any], throughput: dict[str, Any], connections: int
) -> dict[str, Any]:
    """One operation's figures: latency from the one-connection pass, req/s (and the loaded
    latency) from the pass at `connections`; errors of both added up."""
    return {
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["p99_ms"],
        "req_per_s": throughput["req_per_s"],
        "req_per_s_one_connection": latency["req_per_s"],
        "p50_loaded_ms": throughput["p50_ms"],
        "p99_loaded_ms": throughput["p99_ms"],
        "requests": latency["requests"] + throughput["requests"],
        "connections": connections,
        "errors": {k: latency["errors"][k] + throughput["errors"][k] for k in latency["errors"]},
        "ok": latency["ok"] and throughput["ok"],
    }
