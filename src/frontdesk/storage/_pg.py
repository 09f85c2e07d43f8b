"""PostgreSQL engines whose every wait is bounded, and whose errors never carry values.

- Connecting gives up after `connect_timeout` (libpq's own option).
- The server cancels a statement after `statement_timeout`.
- The client stops waiting for an answer a little after that: a server that stopped
  answering (frozen, or a network that silently drops packets) would otherwise keep a
  request, its worker thread and its pooled connection forever; neither the statement
  timeout (the server never runs it) nor TCP (a middlebox or a frozen server's kernel still
  acknowledges) ends that wait. The connection is then closed, so that the pool drops it.
- Waiting for a pooled connection gives up after `connect_timeout` as well.
- A read unit of work runs in autocommit (`autocommit_read`): at READ COMMITTED each
  statement sees its own snapshot anyway, so BEGIN and COMMIT bought a read nothing but
  two round trips. A write in one is refused, so atomicity never silently goes.
- PostgreSQL's DETAIL line repeats the values of a violated key (`Key (email)=(bob@...)`);
  it is dropped from the error, so that no log line carries addresses or secret hashes.
  SQLAlchemy is told to hide bound parameters for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry

_AUTOCOMMIT_READ = "frontdesk_autocommit_read"
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")

# How much longer than the statement timeout the client waits for the server's answer
# (the server's own cancellation arrives first whenever the server is there to send it).
ANSWER_GRACE_SECONDS = 2.0


class _QuietCursor(psycopg.Cursor[Any]):
    """A cursor whose errors say what went wrong, never with which values."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute(*args, **kwargs)
        except psycopg.Error as exc:
            _drop_detail(exc)
            raise

    def executemany(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().executemany(*args, **kwargs)
        except psycopg.Error as exc:
            _drop_detail(exc)
            raise


def _drop_detail(exc: psycopg.Error) -> None:
    primary = exc.diag.message_primary if exc.diag is not None else None
    if primary and exc.args and exc.args[0] != primary:
        exc.args = (primary, *exc.args[1:])


class _BoundedConnection(psycopg.Connection[Any]):
    """A connection that waits at most `answer_timeout` seconds for any one answer."""

    answer_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = timeout if timeout is not None else self.answer_timeout
        try:
            return super().wait(gen, interval, limit)
        except pg_errors._WaitTimeout as exc:  # private, but the one way to bound the wait
            # Mid-protocol, the connection cannot be trusted again: close it, so that
            # SQLAlchemy sees a disconnect and the pool replaces it.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} s"
            ) from exc


def engine(url: str, *, pool_size: int, connect_timeout: int, statement_timeout: float) -> Engine:
    made = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        hide_parameters=True,
        connect_args={
            "connect_timeout": connect_timeout,
            "options": f"-c statement_timeout={int(statement_timeout * 1000)}",
            "cursor_factory": _QuietCursor,
        },
    )
    answer_timeout = statement_timeout + ANSWER_GRACE_SECONDS

    @event.listens_for(made, "do_connect")
    def _connect(
        _dialect: Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]
    ) -> psycopg.Connection[Any]:
        conn = _BoundedConnection.connect(*cargs, **cparams)
        conn.answer_timeout = answer_timeout
        return conn

    @event.listens_for(made, "before_cursor_execute")
    def _reads_only(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_AUTOCOMMIT_READ) and statement.lstrip()[:6].upper().startswith(_WRITES):
            raise RuntimeError("a write in a read unit of work: use store.write()")

    return made


@contextmanager
def autocommit_read(conn: Connection) -> Iterator[None]:
    """A read unit of work without BEGIN and COMMIT (each a round trip to the server).

    PostgreSQL's default isolation, READ COMMITTED, takes a snapshot per statement, so a
    read transaction gave its statements no common view to lose. The pool puts the
    connection back to its default isolation when it is returned.
    """
    conn.execution_options(isolation_level="AUTOCOMMIT")
    conn.info[_AUTOCOMMIT_READ] = True
    try:
        yield
    finally:
        conn.info.pop(_AUTOCOMMIT_READ, None)


@contextmanager
def unbounded(conn: Connection) -> Iterator[None]:
    """Lift both statement limits on one connection for work that may take long
    (migrations building an index on a large table). The connection is closed afterwards
    rather than returned to the pool with its limits lifted."""
    raw = conn.connection.dbapi_connection
    conn.execute(text("SET statement_timeout = 0"))
    if isinstance(raw, _BoundedConnection):
        raw.answer_timeout = None
    try:
        yield
    finally:
        conn.invalidate()
