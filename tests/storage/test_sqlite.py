"""SQLite as the embedded default: WAL, foreign keys, and writers that never hit SQLITE_BUSY."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from frontdesk.core.identity import accounts
from frontdesk.services.bus import InProcessBus
from frontdesk.storage.db import Limits
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.store import Store


def _store(tmp_path: Path, busy_ms: int = 10_000) -> Store:
    store = Store.from_url(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        InProcessBus(),
        limits=Limits(busy_timeout_ms=busy_ms),
    )
    upgrade(store.engine)
    return store


def test_pragmas(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), store.engine.begin() as conn:
        conn.execute(text("INSERT INTO agent_inboxes (agent_id, inbox_id) VALUES (999, 999)"))


def test_concurrent_read_then_write_transactions_all_commit(tmp_path: Path) -> None:
    """Each transaction reads before it writes: deferred BEGIN would fail with SQLITE_BUSY."""
    store = _store(tmp_path)
    with store.write() as uow:
        account = accounts.create_account(uow, "Busy")
    errors: list[BaseException] = []
    per_thread, threads = 25, 8

    def worker() -> None:
        try:
            for _ in range(per_thread):
                with store.write() as uow:
                    uow.accounts.get_account(account.id)
                    uow.tickets.next_ticket_number(account.id)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=60)
    assert errors == []
    with store.write() as uow:
        assert uow.tickets.next_ticket_number(account.id) == per_thread * threads + 1


def test_two_engines_on_one_file_queue_on_one_writer_lock(tmp_path: Path) -> None:
    """`serve` has several engines on the file (the app's, the background workers'): a
    writer of one waits for the other's commit on the process's lock, then begins at once,
    instead of sleeping in SQLite's busy handler at BEGIN IMMEDIATE."""
    holder, other = _store(tmp_path), _store(tmp_path)
    begins: list[float] = []

    def timed_begin(conn: object, cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            begins.append(time.perf_counter())

    def finished_begin(conn: object, cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            begins.append(time.perf_counter() - begins.pop())

    event.listen(other.engine, "before_cursor_execute", timed_begin)
    event.listen(other.engine, "after_cursor_execute", finished_begin)
    holding = threading.Event()

    def hold() -> None:
        with holder.write() as uow:
            accounts.create_account(uow, "held")
            holding.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    started = time.perf_counter()
    with other.write() as uow:
        accounts.create_account(uow, "queued")
    waited = time.perf_counter() - started
    thread.join(10)
    assert waited >= 0.3  # it did wait for the holder's commit...
    assert begins and begins[0] < 0.15  # ...on the lock: SQLite found the file free
