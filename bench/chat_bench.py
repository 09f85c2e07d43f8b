"""Live chat load: 1,000 concurrent visitor websockets on `frontdesk serve` processes.

    python -m bench.chat_bench [--visitors 1000] [--messages 1000] [--rate 100]
                               [--per-chat 5] [--gap 5] [--every-message-starts-chat]
                               [--agents 4] [--processes 1] [--redis-url redis://...]
                               [--database-url postgresql://...] [--out FILE]
    python -m bench.chat_bench --scale-out [--pg-url postgresql://postgres@127.0.0.1:5432]

`--scale-out` is issue 15's setting in one command: 20 agent consoles (20 agents, one
socket each), 2 server processes sharing Redis (127.0.0.1:6379 unless --redis-url) and a
fresh PostgreSQL database made for the run on --pg-url's server (dropped after).
Visitors and agents are spread round robin over the processes, so most deliveries cross
from one process to the other through Redis.

Measures, in one run:
- memory per connection: the server's resident memory (its process tree) after all
  visitors said hello, minus before (one visitor already connected, so code paths and
  the city database are loaded), divided by the number of visitors;
- visitor-to-agent delivery latency: visitors send messages at a fixed total rate; the
  agent sockets share the conversations out (each follows visitors / agents of them, at
  most 250) so every conversation is followed once; latency is from the visitor's send
  to the agent socket receiving the frame (p50 / p99), with the ceiling, a ping answered
  by the same server (pong), measured alongside.

The mix of messages (`chat_schedule`): by default a chat is a visitor writing `--per-chat`
messages `--gap` seconds apart, so most messages go into a chat that is already open and
one in `--per-chat` starts one, evenly over the run. Chats the run meets half-way were
started before the measured window (their first message is sent, not timed). With
`--every-message-starts-chat`, the old worst case: each message is a different visitor's
first, so every one starts a chat (and every agent socket hears each start).

Client and server share the machine, so client-side scheduling is part of every figure.
The client's own full garbage collections are kept out of the measured window: once its
sockets are open it collects and freezes what it holds (`gc.freeze()`), as `serve` does
(src/frontdesk/http/gc_pauses.py; `FRONTDESK_GC_RESCAN_SECONDS=0` in the environment turns
that off in the servers, for a before/after pair). `delivery_slowest` lists the slowest
2% with when they were sent, so one stall tells itself from slow writes spread out.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench.harness import Server, backend, ms
from bench.suite import database
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


@dataclass(frozen=True)
class Schedule:
    """Which visitor sends each timed message, and which chats open before the window."""

    mix: str
    measured: list[int]  # visitor index of each timed message, in sending order
    opened_before: list[int]  # visitors whose chat starts before the window (untimed)
    starts: int  # timed messages that start a chat


def chat_schedule(args: argparse.Namespace) -> Schedule:
    """The visitors behind the timed messages.

    Realistic (the default): `rate * gap` lanes, each a visitor at a time writing one
    message every `gap` seconds; after `per_chat` messages the lane's chat is over and its
    next message is a new visitor's first. Lanes start at staggered points of a chat, so
    one message in `per_chat` starts a chat, evenly over the run; a lane that starts
    half-way had its chat opened before the window.
    """
    if args.every_message_starts_chat:
        everyone = [i % args.visitors for i in range(args.messages)]
        return Schedule("every message starts a chat", everyone, [], args.messages)
    lanes = max(1, round(args.rate * args.gap))
    measured: list[int] = []
    opened: set[int] = set()
    starts = 0
    for i in range(args.messages):
        lane, round_ = i % lanes, i // lanes
        phase = lane % args.per_chat  # how far into its chat the lane is at round 0
        chat = (round_ + phase) // args.per_chat
        visitor = lane + lanes * chat
        if visitor >= args.visitors:
            raise SystemExit("not enough visitors for this mix: raise --visitors or --gap")
        if (round_ + phase) % args.per_chat == 0:
            starts += 1
        elif round_ == 0:
            opened.add(visitor)  # the window opens half-way through this chat
        measured.append(visitor)
    mix = f"chats of {args.per_chat} messages, {args.gap:g} s apart"
    return Schedule(mix, measured, sorted(opened), starts)


def raise_open_files(wanted: int) -> int:
    """Each websocket is a file on both ends: lift the soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


SCALE_OUT = {"processes": 2, "agents": 20}
MAX_FOLLOW = 250  # conversations one agent hello may resume (the server allows 300)


def seed(database_url: str, data_dir: Path, agents: int = 1) -> tuple[str, str, list[int]]:
    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    with services.store.write() as uow:
        account = accounts.create_account(uow, "Bench chat")
        actor = Actor(account_id=account.id, label="bench", scopes=frozenset(Scope))
        key = credentials.issue_api_key(uow, actor, "bench", [Scope.CHAT_READ, Scope.CHAT_WRITE])
        agent_ids = [
            accounts.create_agent(
                uow, actor, AgentFields(name=f"Bench agent {n}", email=f"agent{n}@bench.example")
            ).id
            for n in range(agents)
        ]
    services.close()
    return account.public_id, key.token, agent_ids


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
    hosts: list[str],
    servers: list[Server],
    widget: str,
    key: str,
    agent_ids: list[int],
    args: argparse.Namespace,
) -> dict[str, Any]:
    def host(index: int) -> str:
        return hosts[index % len(hosts)]

    def rss_kib() -> int:
        return sum(server.tree_rss_kib() for server in servers)

    # One visitor per process first: loads every lazy part of each server.
    firsts = [(await open_visitor(h, widget, -1 - n))[0] for n, h in enumerate(hosts)]
    await asyncio.sleep(0.5)
    before_kib = rss_kib()
    visitors: list[tuple[ClientConnection, str]] = []
    started = time.perf_counter()
    for batch in range(0, args.visitors, 100):
        count = min(100, args.visitors - batch)
        visitors += await asyncio.gather(
            *(open_visitor(host(batch + i), widget, batch + i) for i in range(count))
        )
    connect_seconds = time.perf_counter() - started
    drains = [asyncio.create_task(_drain(ws)) for ws, _ in visitors]
    await asyncio.sleep(1.0)
    after_kib = rss_kib()

    schedule = chat_schedule(args)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    timeline: list[tuple[float, float]] = []  # (sent at, seconds into the window; latency)
    done = asyncio.Event()
    expected = len(schedule.measured)

    async def agent_socket(index: int, follow: list[str]) -> ClientConnection:
        ws = await websockets.connect(f"ws://{host(index)}/chat/ws/agent", open_timeout=60)
        hello = {
            "type": "hello",
            "token": key,
            "agentId": agent_ids[index % len(agent_ids)],
            "follow": dict.fromkeys(follow, 2**31 - 1),
        }
        await ws.send(json.dumps(hello))
        await _frame(ws, "welcome")
        return ws

    async def listen(ws: ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame["message"] in sent:
                at = sent.pop(frame["message"])
                latencies.append(time.perf_counter() - at)
                timeline.append((at, latencies[-1]))
                if len(latencies) >= expected:
                    done.set()

    ids = [public_id for _, public_id in visitors]
    # Each conversation followed by one agent socket; a hello's follow map fits one frame.
    share = min(MAX_FOLLOW, -(-len(ids) // args.agents))
    agents = [
        await agent_socket(n, ids[start : start + share])
        for n, start in enumerate(range(0, len(ids), share))
    ]
    listeners = [asyncio.create_task(listen(ws)) for ws in agents]

    # Chats already under way when the window opens: their first message, untimed.
    for n, index in enumerate(schedule.opened_before):
        await visitors[index][0].send(json.dumps({"type": "message", "text": f"earlier {n}"}))
        await asyncio.sleep(1.0 / args.rate)
    await asyncio.sleep(2.0)  # let those settle before timing anything

    # The client's full collections would stall its receiving (1,000 sockets' objects).
    gc.collect()
    gc.freeze()
    interval = 1.0 / args.rate
    load_during: list[float] = []
    load_started = time.perf_counter()
    for i, index in enumerate(schedule.measured):
        ws, _ = visitors[index]
        text = f"bench {i}"
        sent[text] = time.perf_counter()
        await ws.send(json.dumps({"type": "message", "text": text}))
        if i == expected // 2:
            load_during = [round(x, 2) for x in os.getloadavg()]
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

    for ws in agents + firsts + [ws for ws, _ in visitors]:
        await ws.close()
    return {
        "visitors": args.visitors,
        "agent_sockets": len(agents),
        "processes": len(servers),
        "connect_seconds": round(connect_seconds, 2),
        "rss_before_mib": round(before_kib / 1024, 1),
        "rss_after_mib": round(after_kib / 1024, 1),
        "kib_per_connection": round((after_kib - before_kib) / args.visitors, 1),
        "mix": schedule.mix,
        "messages": expected,
        "chats_started_in_window": schedule.starts,
        "chats_opened_before": len(schedule.opened_before),
        "rate_per_s": args.rate,
        "achieved_per_s": round(expected / load_seconds, 1),
        "load_average_during": load_during,
        "delivery_p50_ms": ms(latencies, 0.5),
        "delivery_p90_ms": ms(latencies, 0.9),
        "delivery_p99_ms": ms(latencies, 0.99),
        "delivery_max_ms": ms(latencies, 1.0),
        "delivery_mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        # When the slowest were sent (seconds into the window): one stall or spread out.
        "delivery_slowest": [
            [round(at - load_started, 3), round(latency * 1000, 1)]
            for at, latency in sorted(timeline, key=lambda t: -t[1])[: max(1, expected // 50)]
        ],
        "pong_p50_ms": ms(pings, 0.5),
        "pong_p99_ms": ms(pings, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="visitor messages a second")
    parser.add_argument("--per-chat", type=int, default=5, help="visitor messages per chat")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between a visitor's")
    parser.add_argument(
        "--every-message-starts-chat",
        action="store_true",
        help="the worst case: each message is a new chat (the bench before issue 15)",
    )
    parser.add_argument("--agents", type=int, default=4, help="agent sockets (one agent each)")
    parser.add_argument("--processes", type=int, default=1, help="`frontdesk serve` processes")
    parser.add_argument("--redis-url", default="", help="needed with more than one process")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--scale-out", action="store_true", help="issue 15's setting (above)")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--src", type=Path, help="serve this tree's src/ (a before/after run)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.scale_out:
        args.processes, args.agents = SCALE_OUT["processes"], SCALE_OUT["agents"]
        args.redis_url = args.redis_url or "redis://127.0.0.1:6379/0"
    if args.processes > 1 and not args.redis_url:
        parser.error("more than one process needs --redis-url (the chat fan-out)")
    if -(-args.visitors // args.agents) > MAX_FOLLOW:
        parser.error(f"each agent socket follows at most {MAX_FOLLOW} conversations")
    limit = raise_open_files(4 * args.visitors + 1024)  # inherited by the servers below
    load_before = os.getloadavg()
    if args.scale_out and not args.database_url:
        with database("postgresql", args.pg_url, "chat") as (data, url):
            result = _measure(args, data, url)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            result = _measure(args, Path(tmp), url)
    result["open_files_limit"] = limit
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


def _measure(args: argparse.Namespace, data: Path, database_url: str) -> dict[str, Any]:
    widget, key, agent_ids = seed(database_url, data, args.agents)
    # No SMTP listener (the harness turns it off). The flood limits and the browser proof
    # are for strangers: the bench's thousand visitors from one address are not.
    env = dict(BENCH_CHAT_ENV)
    if args.redis_url:
        env["FRONTDESK_REDIS_URL"] = args.redis_url
        env["FRONTDESK_CHAT_CHANNEL_PREFIX"] = f"fdbench-{secrets.token_hex(6)}"
    servers = [
        Server(data, database_url, extra_env=env, src=args.src, name=f"server{n}")
        for n in range(args.processes)
    ]
    try:
        for server in servers:
            server.wait()
        hosts = [server.base.removeprefix("http://") for server in servers]
        result = asyncio.run(run(hosts, servers, widget, key, agent_ids, args))
    except BaseException:
        for n in range(len(servers)):
            log = (data / f"server{n}.log").read_text(errors="replace")
            print(f"server{n}.log ends:\n" + log[-4000:])
        raise
    finally:
        for server in servers:
            server.stop()
    result["backend"] = backend(database_url)
    result["served_src"] = str(args.src) if args.src else "this tree"
    result["redis"] = bool(args.redis_url)
    result["gc_rescan_seconds"] = os.environ.get("FRONTDESK_GC_RESCAN_SECONDS", "600 (default)")
    return result


if __name__ == "__main__":
    main()
