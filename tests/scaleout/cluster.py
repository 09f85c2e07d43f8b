"""Three `frontdesk serve` processes behind Debian's HAProxy, on PostgreSQL, Redis and
moto's S3 server: the scale-out deployment of docs/deploy.md, on loopback.

HAProxy's configuration is `deploy/haproxy.cfg` itself, rewritten only where a test must
differ from a Docker host: loopback addresses and free ports instead of `:80` / `:2525`,
a `maxconn` within the test machine's file-descriptor limit,
one `server` line per process instead of Docker's DNS, and a response header naming the
server that answered (so a test can see where each request and websocket landed).
Health checks, balancing, timeouts, retries and redispatch are the deploy file's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from tests.live import free_port

DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
SERVED_BY = "X-Served-By"
STARTUP_SECONDS = 90.0  # a loaded two-core machine starts a serve in 5-20 s


def haproxy_config(http_port: int, smtp_port: int, servers: list[Server]) -> str:
    """deploy/haproxy.cfg for these ports and processes (see the module's docstring)."""
    lines: list[str] = []
    skipping = False
    for line in DEPLOY_CONFIG.read_text().splitlines():
        if line.startswith("resolvers "):
            skipping = True  # Docker's DNS: the servers are named below instead
            continue
        if skipping and line and not line[0].isspace():
            skipping = False
        if skipping:
            continue
        stripped = line.strip()
        if stripped.startswith("maxconn "):
            line = "    maxconn 2000"  # the deploy's needs more file descriptors than a test gets
        elif stripped == "bind :80":
            line = f"    bind 127.0.0.1:{http_port}"
        elif stripped == "bind :2525":
            line = f"    bind 127.0.0.1:{smtp_port}"
        elif stripped.startswith("default-server"):
            line = line.replace(" init-addr none resolvers docker", "")
        elif stripped.startswith("server-template app "):
            lines += [f"    server {s.name} 127.0.0.1:{s.http_port}" for s in servers]
            lines.append(f"    http-response set-header {SERVED_BY} %s")
            continue
        elif stripped.startswith("server-template smtp "):
            lines += [f"    server {s.name} 127.0.0.1:{s.smtp_port}" for s in servers]
            continue
        lines.append(line)
    settings = [line for line in lines if not line.lstrip().startswith("#")]
    assert not any("resolvers" in line or "server-template" in line for line in settings)
    return "\n".join(lines) + "\n"


@dataclass
class Server:
    """One `frontdesk serve` process; `start` again after `kill` on the same ports."""

    name: str
    env: dict[str, str]
    log_dir: Path
    http_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        data_dir = self.log_dir / self.name  # its own: nothing on a process's disk is shared
        data_dir.mkdir(exist_ok=True)
        env = {
            **os.environ,
            **self.env,
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_PORT": str(self.http_port),
            "FRONTDESK_SMTP_PORT": str(self.smtp_port),
        }
        with (self.log_dir / f"{self.name}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "frontdesk.cli", "serve"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert self.process is not None and self.process.poll() is None, (
                f"{self.name} exited: {self.log()[-2000:]}"
            )
            try:
                if httpx2.get(f"http://127.0.0.1:{self.http_port}/readyz", timeout=2).is_success:
                    return
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, f"{self.name} did not come up"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye frames, connections cut as by a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return (self.log_dir / f"{self.name}.log").read_text(errors="replace")


@dataclass
class Balancer:
    """HAProxy in the foreground (-db), with the generated configuration."""

    config: Path
    log: Path
    http_port: int
    smtp_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    def start(self) -> None:
        check = subprocess.run(
            ["haproxy", "-c", "-f", str(self.config)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )

    def wait_all_up(self, names: set[str], timeout: float = 60.0) -> None:
        """Until every named server has answered through the balancer: each is past its
        health check's `rise` (leastconn turns by turn among idle servers)."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while seen != names:
            assert self.process is not None and self.process.poll() is None, "haproxy exited"
            try:
                answer = httpx2.get(f"{self.base}/healthz", timeout=5)
                seen.add(answer.headers.get(SERVED_BY, ""))
                seen &= names
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, f"only {sorted(seen)} of {sorted(names)} are up"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def served_by(headers: httpx2.Headers | dict[str, str]) -> str:
    return str(headers.get(SERVED_BY, "?"))
