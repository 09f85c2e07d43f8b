"""Engines and transactions for SQLite (embedded) and PostgreSQL (scale-out).

SQLite write transactions start with BEGIN IMMEDIATE: a deferred transaction that later
upgrades its read lock to a write lock can fail with SQLITE_BUSY at once, whatever the busy
timeout, while an immediate one waits its turn at BEGIN.

Every wait on the database is bounded (docs/reliability.md): connecting, a statement, the
wait for a pooled connection, the wait for SQLite's lock. A failed statement is never
logged with its values: engines hide bound parameters, and PostgreSQL's DETAIL line (which
repeats the values of a violated key) is dropped from the error (`storage/_pg.py`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.pool import ConnectionPoolEntry

from frontdesk.storage import _pg

_WRITE = "frontdesk_write"
# Per SQLite engine: the lock its writers queue on, and how long one waits (the busy timeout).
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[threading.RLock, float]] = (
    weakref.WeakKeyDictionary()
)
# One lock per database file, shared by every engine of the process on that file: `serve`
# runs the web app's engine next to the webhook, outbox and scheduler workers' (each its
# own Services), and writers of two engines met in SQLite's busy handler, which sleeps.
_FILE_LOCKS: dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Limits:
    """How long the database may keep us waiting (Settings: FRONTDESK_DB_*, SQLITE_*)."""

    busy_timeout_ms: int = 10_000
    pool_size: int = 10
    connect_timeout_seconds: int = 5
    statement_timeout_seconds: float = 30.0


def make_engine(url: str, *, limits: Limits | None = None) -> Engine:
    limits = limits or Limits()
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, limits.busy_timeout_ms)
    return _pg.engine(
        url,
        pool_size=limits.pool_size,
        connect_timeout=limits.connect_timeout_seconds,
        statement_timeout=limits.statement_timeout_seconds,
    )


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    _create_private(make_url(url).database)
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        hide_parameters=True,
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
        # Deleted rows and freed pages are overwritten with zeros, so that an erased
        # contact's text does not live on in free space of the file (docs/native.md, GDPR).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    _WRITER_LOCKS[engine] = (_file_lock(make_url(url).database), busy_timeout_ms / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE) else "BEGIN")

    return engine


def _file_lock(database: str | None) -> threading.RLock:
    """The writers' lock of this database file (a private one for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return threading.RLock()
    key = os.path.realpath(database)
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.RLock())


def _create_private(database: str | None) -> None:
    """Create the database file readable by its owner only, whatever the umask.

    SQLite would create it 0644 less the umask, and gives its -wal and -shm files the
    database file's mode: creating the file first, 0600, keeps all three private.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return  # (a missing directory: SQLite says so when it opens the file)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first
        return
    os.close(fd)


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with _writer_turn(engine, write), engine.connect() as conn:
        conn.info[_WRITE] = write
        if not write and not is_sqlite(engine):
            with _pg.autocommit_read(conn):
                yield conn
            return
        with conn.begin():
            yield conn


@contextmanager
def _writer_turn(engine: Engine, write: bool) -> Iterator[None]:
    """Queue one process's SQLite writers on a lock before they reach SQLite's own lock.

    SQLite's busy handler polls with sleeps of up to 100 ms, so threads of one process
    contending for the write lock waited in steps of 100 ms (a 583 ms p99 in the chat
    benchmark); a lock wakes the next writer as soon as the last one commits. The lock is
    the database file's, so the process's other engines on it (serve's background
    workers) queue on it too; other processes still meet at SQLite's lock. Re-entrant, so
    a nested writer behaves as before.
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
