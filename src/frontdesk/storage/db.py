"""Engines and transactions for SQLite (embedded) and PostgreSQL (scale-out).

SQLite write transactions start with BEGIN IMMEDIATE: a deferred transaction that later
upgrades its read lock to a write lock can fail with SQLITE_BUSY at once, whatever the busy
timeout, while an immediate one waits its turn at BEGIN.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import ConnectionPoolEntry

_WRITE = "frontdesk_write"
# Per SQLite engine: the lock its writers queue on, and how long one waits (the busy timeout).
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[threading.RLock, float]] = (
    weakref.WeakKeyDictionary()
)


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Hand transaction control to us, so BEGIN can be IMMEDIATE for writers.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    _WRITER_LOCKS[engine] = (threading.RLock(), busy_timeout_ms / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE) else "BEGIN")

    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with _writer_turn(engine, write), engine.connect() as conn:
        conn.info[_WRITE] = write
        with conn.begin():
            yield conn


@contextmanager
def _writer_turn(engine: Engine, write: bool) -> Iterator[None]:
    """Queue one process's SQLite writers on a lock before they reach SQLite's own lock.

    SQLite's busy handler polls with sleeps of up to 100 ms, so threads of one process
    contending for the write lock waited in steps of 100 ms (a 583 ms p99 in the chat
    benchmark); a lock wakes the next writer as soon as the last one commits. Other
    processes still meet at SQLite's lock. Re-entrant, so a nested writer behaves as before.
    """
    turn = _WRITER_LOCKS.get(engine) if write else None
    if turn is None:
        yield
        return
    lock, wait_seconds = turn
    # Past the busy timeout, go on to SQLite, which then answers "database is locked".
    acquired = lock.acquire(timeout=wait_seconds)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
