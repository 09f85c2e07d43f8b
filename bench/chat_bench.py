"""Live chat load: 1,000 concurrent visitor websockets on one `frontdesk serve` process.

    python -m bench.chat_bench [--visitors 1000] [--messages 1000] [--rate 100]
                               [--database-url postgresql://...] [--out FILE]

Measures, in one run:
- memory per connection: the server's resident memory (its process tree) after all
  visitors said hello, minus before (one visitor already connected, so code paths and
  the city database are loaded), divided by the number of visitors;
- visitor-to-agent delivery latency: visitors (round robin) each send a message at a
  fixed total rate; agent sockets (250 conversations each) follow every conversation;
  latency is from the visitor's send to the agent socket receiving the frame (p50 / p99),
  with the ceiling, a ping answered by the same server (pong), measured alongside.

Client and server share the machine, so client-side scheduling is part of every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.harness import Server, backend, ms
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.services import build_services
from frontdesk.settings import Settings

UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)

BENCH_CHAT_ENV = {
    "FRONTDESK_CHAT_NEW_CONVERSATIONS_PER_ADDRESS": "1000000",
    "FRONTDESK_CHAT_NEW_CHATS_PER_ADDRESS": "1000000",
    "FRONTDESK_CHAT_NEW_CHATS_PER_WIDGET": "1000000",
    "FRONTDESK_CHAT_PROOF_BITS": "0",
}


def raise_open_files(wanted: int) -> int:
    """Each websocket is a file on both ends: lift the soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def seed(database_url: str, data_dir: Path) -> tuple[str, str, int]:
    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    with services.store.write() as uow:
        account = accounts.create_account(uow, "Bench chat")
        actor = Actor(account_id=account.id, label="bench", scopes=frozenset(Scope))
        key = credentials.issue_api_key(uow, actor, "bench", [Scope.CHAT_READ, Scope.CHAT_WRITE])
        agent = accounts.create_agent(
            uow, actor, AgentFields(name="Bench agent", email="agent@bench.example")
        )
    services.close()
    return account.public_id, key.token, agent.id


async def _frame(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame["type"] == kind:
            return frame


async def open_visitor(host: str, widget: str, index: int) -> tuple[ClientConnection, str]:
    ws = await websockets.connect(
        f"ws://{host}/chat/ws/visitor", additional_headers={"User-Agent": UA}, open_timeout=60
    )
    hello = {"type": "hello", "widget": widget, "page": f"https://shop.example/p/{index}"}
    await ws.send(json.dumps(hello))
    welcome = await _frame(ws, "welcome")
    return ws, welcome["conversationId"]


async def _drain(ws: ClientConnection) -> None:
    """Visitors read (and drop) what the server sends them, as a widget would."""
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


async def run(
    host: str, server: Server, widget: str, key: str, agent_id: int, args: argparse.Namespace
) -> dict[str, Any]:
    first, _ = await open_visitor(host, widget, -1)  # loads every lazy part of the server
    await asyncio.sleep(0.5)
    before_kib = server.tree_rss_kib()
    visitors: list[tuple[ClientConnection, str]] = []
    started = time.perf_counter()
    for batch in range(0, args.visitors, 100):
        count = min(100, args.visitors - batch)
        visitors += await asyncio.gather(
            *(open_visitor(host, widget, batch + i) for i in range(count))
        )
    connect_seconds = time.perf_counter() - started
    drains = [asyncio.create_task(_drain(ws)) for ws, _ in visitors]
    await asyncio.sleep(1.0)
    after_kib = server.tree_rss_kib()

    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def agent_socket(follow: list[str]) -> ClientConnection:
        ws = await websockets.connect(f"ws://{host}/chat/ws/agent", open_timeout=60)
        hello = {
            "type": "hello",
            "token": key,
            "agentId": agent_id,
            "follow": dict.fromkeys(follow, 2**31 - 1),
        }
        await ws.send(json.dumps(hello))
        await _frame(ws, "welcome")
        return ws

    async def listen(ws: ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame["message"] in sent:
                latencies.append(time.perf_counter() - sent.pop(frame["message"]))
                if len(latencies) >= args.messages:
                    done.set()

    ids = [public_id for _, public_id in visitors]
    # A hello's follow map fits in one frame: 250 conversations per agent socket.
    agents = [await agent_socket(ids[start : start + 250]) for start in range(0, len(ids), 250)]
    listeners = [asyncio.create_task(listen(ws)) for ws in agents]

    interval = 1.0 / args.rate
    load_started = time.perf_counter()
    for i in range(args.messages):
        ws, _ = visitors[i % len(visitors)]
        text = f"bench {i}"
        sent[text] = time.perf_counter()
        await ws.send(json.dumps({"type": "message", "text": text}))
        delay = load_started + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await asyncio.wait_for(done.wait(), 120)
    load_seconds = time.perf_counter() - load_started

    for task in listeners + drains:
        task.cancel()
    # One ping per visitor: the per-socket rate limit would (rightly) close a pinging loop.
    pings: list[float] = []
    for ws, _ in visitors[:200]:
        t = time.perf_counter()
        await ws.send(json.dumps({"type": "ping"}))
        await _frame(ws, "pong")
        pings.append(time.perf_counter() - t)

    for ws in agents + [first] + [ws for ws, _ in visitors]:
        await ws.close()
    return {
        "visitors": args.visitors,
        "connect_seconds": round(connect_seconds, 2),
        "rss_before_mib": round(before_kib / 1024, 1),
        "rss_after_mib": round(after_kib / 1024, 1),
        "kib_per_connection": round((after_kib - before_kib) / args.visitors, 1),
        "messages": args.messages,
        "rate_per_s": args.rate,
        "achieved_per_s": round(args.messages / load_seconds, 1),
        "delivery_p50_ms": ms(latencies, 0.5),
        "delivery_p99_ms": ms(latencies, 0.99),
        "delivery_mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "pong_p50_ms": ms(pings, 0.5),
        "pong_p99_ms": ms(pings, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="visitor messages a second")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    limit = raise_open_files(4 * args.visitors + 1024)  # inherited by the server below
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data / 'bench.db'}"
        widget, key, agent_id = seed(database_url, data)
        # No SMTP listener (the harness turns it off). The flood limits and the browser
        # proof are for strangers: the bench's thousand visitors from one address are not.
        server = Server(data, database_url, extra_env=BENCH_CHAT_ENV)
        try:
            server.wait()
            host = server.base.removeprefix("http://")
            result = asyncio.run(run(host, server, widget, key, agent_id, args))
        except BaseException:
            log = (data / "server.log").read_text(errors="replace")
            print("server.log ends:\n" + log[-4000:])
            raise
        finally:
            server.stop()
    result["backend"] = backend(database_url)
    result["open_files_limit"] = limit
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
