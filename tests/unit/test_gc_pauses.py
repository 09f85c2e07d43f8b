"""`serve`'s short full collections (http/gc_pauses.py): survivors frozen, re-scans on time.

These tests change the process's collector, so each one puts it back (`stop`, `unfreeze`)
whatever happens: a frozen test process would keep every later test's garbage cycles.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.http import gc_pauses
from frontdesk.http.gc_pauses import SurvivorFreezer


class Node:
    """A reference cycle of one object: only the collector can free it."""

    def __init__(self) -> None:
        self.me = self


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def collector_put_back() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.collect()


def garbage_cycle() -> weakref.ref[Node]:
    """A cycle nothing refers to any more, and a weak reference that says when it is freed."""
    return weakref.ref(Node())


def test_a_full_collection_s_survivors_are_frozen_at_the_next_step() -> None:
    freezer = SurvivorFreezer(600, clock=Clock())
    gc.callbacks.append(freezer.on_collection)
    gc.disable()  # only this test's collections, not an automatic one in between
    try:
        gc.unfreeze()
        freezer.step()  # no full collection yet: nothing to freeze
        assert gc.get_freeze_count() == 0
        gc.collect(1)  # a young collection is not a full one
        freezer.step()
        assert gc.get_freeze_count() == 0
        gc.collect()
        freezer.step()
        assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.callbacks.remove(freezer.on_collection)


def test_a_frozen_garbage_cycle_lives_until_the_re_scan_frees_it() -> None:
    clock = Clock()
    freezer = SurvivorFreezer(600, clock=clock)
    cycle = garbage_cycle()
    gc.freeze()  # as after a full collection: the cycle is among the frozen
    gc.collect()
    assert cycle() is not None, "frozen objects are skipped by collections"
    clock.now += 599
    freezer.step()
    gc.collect()
    assert cycle() is not None, "not yet due"
    clock.now += 1
    freezer.step()
    assert cycle() is None, "the re-scan collected everything once"
    assert gc.get_freeze_count() > 0, "and froze the survivors again"


def test_young_garbage_is_freed_as_usual_between_re_scans() -> None:
    freezer = SurvivorFreezer(600, clock=Clock())
    freezer.rescan()
    cycle = garbage_cycle()
    gc.collect()
    assert cycle() is None


def test_the_watch_thread_freezes_after_a_full_collection_and_stop_undoes_everything() -> None:
    freezer = SurvivorFreezer(600)
    freezer.start()
    try:
        assert freezer.on_collection in gc.callbacks
        gc.unfreeze()
        gc.collect()
        deadline = time.monotonic() + 10
        while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_freeze_count() > 0
    finally:
        freezer.stop()
    assert freezer.on_collection not in gc.callbacks
    assert gc.get_freeze_count() == 0
    assert not any(t.name == "frontdesk-gc" and t.is_alive() for t in threading.enumerate())


def test_zero_seconds_leaves_the_collector_alone() -> None:
    callbacks = list(gc.callbacks)
    assert gc_pauses.install(0) is None
    assert gc.callbacks == callbacks
    assert gc.get_freeze_count() == 0


def test_install_starts_the_freezer_with_the_setting(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="frontdesk.http.gc_pauses")
    freezer = gc_pauses.install(30)
    assert freezer is not None
    try:
        assert freezer.rescan_seconds == 30
        assert freezer.on_collection in gc.callbacks
        assert gc.get_freeze_count() > 0, "start-up's objects are frozen at once"
        assert "every 30 s" in caplog.text
    finally:
        freezer.stop()


def test_serve_s_app_factory_installs_it_and_create_app_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk import app as frontdesk_app

    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FRONTDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("FRONTDESK_GC_RESCAN_SECONDS", "45")
    before = list(gc.callbacks)
    made = frontdesk_app.factory()
    freezers = [
        callback.__self__
        for callback in gc.callbacks
        if isinstance(getattr(callback, "__self__", None), SurvivorFreezer)
    ]
    try:
        assert [freezer.rescan_seconds for freezer in freezers] == [45]
    finally:
        for freezer in freezers:
            freezer.stop()
        made.state.services.close()
    assert gc.callbacks == before
    frontdesk_app.create_app(services=None, settings=None).state.services.close()
    assert gc.callbacks == before
