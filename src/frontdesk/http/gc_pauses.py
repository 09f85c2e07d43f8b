"""Short garbage-collection pauses in a long-running `frontdesk serve` process.

CPython's full collection (generation 2) looks at every object the collector tracks while
it holds the GIL, so its pause grows with what the process keeps alive: with 1,000 chat
visitors connected, about 500,000 objects and 300-600 ms on the benchmark machine, during
which no chat message moves (docs/benchmarks.md, "Live chat"). `gc.freeze()` moves every
tracked object into a permanent generation that collections skip, so after each full
collection its survivors (the open connections, caches, modules) are frozen, and the next
full collection looks only at the objects that arrived since.

The price: a reference cycle among frozen objects that later becomes garbage is not
collected while frozen (reference counting still frees everything that is not part of a
cycle, which is most of what a closed connection leaves). So every `rescan_seconds` the
frozen objects are handed back and collected once, in one full pause at a known time,
then frozen again: memory held by such cycles lasts at most that long.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# How long the background thread sleeps between looks when no full collection happened.
_WAKE_SECONDS = 1.0
# CPython's oldest generation: a collection of it is a full one.
_OLDEST = 2


class SurvivorFreezer:
    """Freezes the survivors of each full collection; re-scans everything now and then."""

    def __init__(self, rescan_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rescan_seconds = rescan_seconds
        self._clock = clock
        self._last_rescan = clock()
        self._collected = threading.Event()  # a full collection finished since the last step
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def on_collection(self, phase: str, info: dict[str, Any]) -> None:
        """`gc.callbacks` entry: runs inside the collection, so it only raises a flag."""
        if phase == "stop" and info["generation"] == _OLDEST:
            self._collected.set()

    def step(self) -> None:
        """Freeze after a full collection, or hand everything back for a re-scan when due."""
        now = self._clock()
        if now - self._last_rescan >= self.rescan_seconds:
            self._last_rescan = now
            self.rescan()
        elif self._collected.is_set():
            self._collected.clear()
            gc.freeze()

    def rescan(self) -> None:
        """One full collection over everything, frozen objects included, then freeze again."""
        gc.unfreeze()
        gc.collect()
        self._collected.clear()
        gc.freeze()

    def start(self) -> None:
        """Collect and freeze what start-up built (modules, templates), then keep watch."""
        gc.callbacks.append(self.on_collection)
        gc.collect()
        gc.freeze()
        self._thread = threading.Thread(target=self._watch, name="frontdesk-gc", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Back to CPython's own collector: nothing frozen, no callback, no thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self.on_collection in gc.callbacks:
            gc.callbacks.remove(self.on_collection)
        gc.unfreeze()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            self._collected.wait(_WAKE_SECONDS)
            self.step()


def install(rescan_seconds: float) -> SurvivorFreezer | None:
    """Start freezing survivors in this process (`FRONTDESK_GC_RESCAN_SECONDS`; 0: don't)."""
    if rescan_seconds <= 0:
        return None
    freezer = SurvivorFreezer(rescan_seconds)
    freezer.start()
    log.info(
        "gc: full collections skip their survivors; everything is re-scanned every %d s",
        rescan_seconds,
    )
    return freezer
