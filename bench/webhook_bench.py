"""Webhooks: deliveries per second to a local receiver, and what queuing them costs a create.

1. Deliveries: tickets are opened through the core with one webhook subscribed to
   `ticket.opened`, then the worker (services/webhooks.py, as `frontdesk serve` runs it)
   drains them to a receiver in another process on loopback; the ceiling is the same
   number of signed-size POSTs sent by a bare httpx2 loop with no database (same client
   settings: a new connection per request, as the worker's pinned addresses need).
2. Create cost: `POST /api/v1/tickets` against a real `frontdesk serve` from 4 client
   threads, with no webhook and with 5 webhooks subscribed to `*` (each create queues a
   delivery per webhook for each of its events), alternating so that the machine's other
   load falls on both. The worker is kept idle (`FRONTDESK_WEBHOOK_POLL_SECONDS=600`), so
   the figure is the cost of queuing in the create's transaction; a last pass lets it send
   (receiver answering 200) while the creates run.

    .venv/bin/python -m bench.webhook_bench [--database-url URL] [--deliveries N] [--creates N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from bench.harness import Server, backend, free_port
from frontdesk.api.native import hook_payloads
from frontdesk.core import automation, tickets
from frontdesk.core.identity import accounts
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.services import build_services, sealing
from frontdesk.services.webhooks import WEBHOOK_SECRET, WebhookWorker
from frontdesk.settings import Settings

RESULTS = Path(__file__).parent / "results"
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
server.serve_forever()
"""


@contextmanager
def receiver() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        process.terminate()
        process.wait(10)


def deliveries(database_url: str, data_dir: Path, count: int, url: str) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        allow_private_webhooks=True,
        webhook_poll_seconds=600,
    ).resolved()
    services = build_services(settings)
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, "Bench")
            actor = Actor(account_id=account.id, label="bench", scopes=ALL_SCOPES)
            sealed = sealing.seal(automation.new_secret(), settings.secret_key, WEBHOOK_SECRET)
            fields = automation.EndpointFields(url=url, event_types=["ticket.opened"])
            automation.create_endpoint(uow, actor, fields, sealed)
        for number in range(count):
            new = NewTicket(
                subject=f"Bench {number}",
                message=NewMessage(body_text="Where is my order?"),
                requester_email=f"c{number}@example.org",
            )
            with services.store.write() as uow:
                tickets.open_ticket(uow, actor, new)
        worker = WebhookWorker(
            services.store, settings, hook_payloads.renderer(settings.public_base_url)
        )
        started = time.perf_counter()
        sent = 0
        while handled := worker.run_once():
            sent += handled
        took = time.perf_counter() - started
        worker.stop()
    finally:
        services.close()
    return {"deliveries": sent, "seconds": round(took, 2), "per_s": round(sent / took, 1)}


def ceiling(count: int, url: str) -> dict[str, Any]:
    body = json.dumps({"id": 1, "type": "ticket.opened", "object": {"subject": "x" * 900}})
    with httpx2.Client(limits=httpx2.Limits(max_keepalive_connections=0)) as client:
        started = time.perf_counter()
        for _ in range(count):
            client.post(url, content=body, headers={"Content-Type": "application/json"})
        took = time.perf_counter() - started
    return {"posts": count, "seconds": round(took, 2), "per_s": round(count / took, 1)}


def creates(base: str, key: str, count: int, workers: int, tag: str) -> float:
    headers = {"Authorization": f"Bearer {key}"}

    def run(worker: int) -> None:
        with httpx2.Client(base_url=base, timeout=60, headers=headers) as client:
            for number in range(worker, count, workers):
                made = client.post(
                    "/api/v1/tickets",
                    json={
                        "subject": f"{tag} {number}",
                        "message": {"body": "Where is my order?"},
                        "requester_email": f"{tag}-{number}@example.org",
                    },
                )
                if made.status_code != 201:
                    raise RuntimeError(f"HTTP {made.status_code}: {made.text[:200]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(workers)))
    return count / (time.perf_counter() - started)


def create_cost(
    database_url: str, data_dir: Path, count: int, url: str, *, sending: bool
) -> dict[str, Any]:
    poll = "0.2" if sending else "600"
    extra = {"FRONTDESK_ALLOW_PRIVATE_WEBHOOKS": "1", "FRONTDESK_WEBHOOK_POLL_SECONDS": poll}
    init = subprocess.run(
        [str(Path(sys.executable).parent / "frontdesk"), "--json", "init"],
        env={"FRONTDESK_DATA_DIR": str(data_dir), "FRONTDESK_DATABASE_URL": database_url},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = json.loads(init.stdout)["api_key"]
    server = Server(data_dir, database_url, extra_env=extra)
    try:
        server.wait()
        headers = {"Authorization": f"Bearer {key}"}
        hooks = [
            httpx2.post(
                f"{server.base}/api/v1/webhooks",
                json={"url": url, "event_types": ["*"], "active": False},
                headers=headers,
            ).json()["id"]
            for _ in range(5)
        ]

        def switch(active: bool) -> None:
            for hook in hooks:
                httpx2.patch(
                    f"{server.base}/api/v1/webhooks/{hook}",
                    json={"active": active},
                    headers=headers,
                )

        creates(server.base, key, 50, 4, "warm")
        without, with_five = [], []
        for round_ in range(3):
            switch(False)
            without.append(creates(server.base, key, count, 4, f"a{round_}"))
            switch(True)
            with_five.append(creates(server.base, key, count, 4, f"b{round_}"))
    finally:
        server.stop()
    none, five = statistics.median(without), statistics.median(with_five)
    return {
        "no_webhooks_req_s": round(none, 1),
        "five_webhooks_req_s": round(five, 1),
        "ratio": round(five / none, 3),
        "rounds": {
            "without": [round(x, 1) for x in without],
            "with": [round(x, 1) for x in with_five],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--creates", type=int, default=300, help="per pass")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    url_for = args.database_url or f"sqlite:///{root}/{{name}}.db"
    results: dict[str, Any] = {}
    try:
        with receiver() as url:
            first = url_for.format(name="deliveries")
            results["backend"] = backend(first)
            results["deliveries"] = deliveries(first, root / "d", args.deliveries, url)
            results["ceiling"] = ceiling(args.deliveries, url)
            results["delivery_ratio"] = round(
                results["deliveries"]["per_s"] / results["ceiling"]["per_s"], 3
            )
            results["create_worker_idle"] = create_cost(
                url_for.format(name="idle"), root / "c1", args.creates, url, sending=False
            )
            results["create_worker_sending"] = create_cost(
                url_for.format(name="sending"), root / "c2", args.creates, url, sending=True
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"webhooks-{results['backend']}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
