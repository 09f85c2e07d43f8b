"""Memory over rounds of chat visitors: what freezing the collector's survivors keeps.

Each round opens `--visitors` visitor websockets on one `frontdesk serve` (SQLite), sends
one message from each, closes them all and waits; the server's resident memory (its
process tree) is read after each round. Run it with `FRONTDESK_GC_RESCAN_SECONDS` set to 0
(CPython's collector as it is), to the default 600 and to a short interval, to see what the
frozen garbage cycles hold and that a re-scan frees them (docs/chat.md,
"Garbage-collection pauses").

    FRONTDESK_GC_RESCAN_SECONDS=0 .venv/bin/python -m bench.chat_soak [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

from bench.chat_bench import BENCH_CHAT_ENV, open_visitor, raise_open_files, seed
from bench.harness import Server


async def rounds(count: int, visitors: int) -> list[float]:
    """The server's resident MiB after each round."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'soak.db'}"
        widget, _key, _agents = seed(url, Path(tmp), 1)
        server = Server(Path(tmp), url, extra_env=dict(BENCH_CHAT_ENV))
        try:
            server.wait()
            host = server.base.removeprefix("http://")
            after: list[float] = []
            for number in range(count):
                opened = []
                for batch in range(0, visitors, 100):
                    size = min(100, visitors - batch)
                    first = number * visitors + batch
                    opened += await asyncio.gather(
                        *(open_visitor(host, widget, first + i) for i in range(size))
                    )
                for ws, _ in opened:
                    await ws.send(json.dumps({"type": "message", "text": "hello"}))
                await asyncio.sleep(1)
                for ws, _ in opened:
                    await ws.close()
                await asyncio.sleep(2)
                after.append(round(server.tree_rss_kib() / 1024, 1))
                print(f"round {number + 1}: {after[-1]} MiB", flush=True)
            return after
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--visitors", type=int, default=1000)
    args = parser.parse_args()
    raise_open_files(4 * args.visitors + 1024)
    after = asyncio.run(rounds(args.rounds, args.visitors))
    result = {
        "gc_rescan_seconds": os.environ.get("FRONTDESK_GC_RESCAN_SECONDS", "600 (default)"),
        "visitors_per_round": args.visitors,
        "rss_mib_after_each_round": after,
        "growth_mib_per_round": round((after[-1] - after[0]) / max(1, len(after) - 1), 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
