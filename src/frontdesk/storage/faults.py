"""Which failures of the database or the disk are the storage's, not the request's.

Every transport asks the same question when something below it fails: was that the
database being away or busy, or the disk being full, so that the client should simply try
again later (HTTP 503 / 507, SMTP 451 / 452, an IMAP mail left unseen)? Or was it a bug
(HTTP 500)? This module answers it once, for both backends and the blob store.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Iterator
from enum import Enum

import psycopg
from sqlalchemy import exc as sa_exc


class Fault(Enum):
    UNAVAILABLE = "unavailable"  # unreachable, timed out, shutting down, busy beyond the wait
    FULL = "full"  # no space left for the database or the blobs
    READ_ONLY = "read_only"  # the data directory or the database cannot be written


_SQLITE_CODES = {
    sqlite3.SQLITE_BUSY: Fault.UNAVAILABLE,
    sqlite3.SQLITE_LOCKED: Fault.UNAVAILABLE,
    sqlite3.SQLITE_FULL: Fault.FULL,
    sqlite3.SQLITE_READONLY: Fault.READ_ONLY,
    sqlite3.SQLITE_IOERR: Fault.UNAVAILABLE,
    sqlite3.SQLITE_CANTOPEN: Fault.UNAVAILABLE,
}
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY_ERRNOS = frozenset({errno.EROFS})
_PG_DISK_FULL = "53100"
_PG_UNIQUE_VIOLATION = "23505"


def classify(exc: BaseException) -> Fault | None:
    """The storage fault behind `exc` (or anything it was raised from), else None."""
    for link in _chain(exc):
        found = _fault_of(link)
        if found is not None:
            return found
    return None


def is_unique_race(exc: BaseException) -> bool:
    """Whether `exc` comes from a unique key another transaction took first: trying the
    whole transaction again finds that row instead of clashing with it."""
    for link in _chain(exc):
        if isinstance(link, psycopg.errors.UniqueViolation):
            return True
        if isinstance(link, sqlite3.IntegrityError) and "UNIQUE" in str(link):
            return True
        if isinstance(link, psycopg.Error) and link.sqlstate == _PG_UNIQUE_VIOLATION:
            return True
    return False


def log_round_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """For a background round (outbox, webhooks, IMAP, digests): the database away is the
    storage's state, said in one line (the round is tried again at the next poll);
    anything else is a bug, logged with its traceback."""
    fault = classify(exc)
    if fault is not None:
        log.warning("%s: storage %s: %s", what, fault.value, describe(exc))
    else:
        log.error("%s failed", what, exc_info=exc)


def describe(exc: BaseException) -> str:
    """One line naming a storage error for the log: its type and first line, no values
    (engines hide bound parameters, and PostgreSQL's DETAIL line is dropped at the source)."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(cause).__name__}: {first}"[:300]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, sa_exc.DBAPIError) and current.orig is not None:
            yield current.orig
        current = current.__cause__ or current.__context__


def _fault_of(exc: BaseException) -> Fault | None:
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return Fault.UNAVAILABLE
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return Fault.UNAVAILABLE
    if isinstance(exc, psycopg.Error):
        return _pg_fault(exc)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return None if code is None else _SQLITE_CODES.get(code & 0xFF)
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return Fault.FULL
        if exc.errno in _READ_ONLY_ERRNOS:
            return Fault.READ_ONLY
    return None


def _pg_fault(exc: psycopg.Error) -> Fault | None:
    if exc.sqlstate == _PG_DISK_FULL:
        return Fault.FULL
    # Connection failures, timeouts, cancelled statements, a server shutting down, lock
    # and serialisation conflicts: psycopg's OperationalError; a closed connection: its
    # InterfaceError. A syntax error or a constraint is neither: that is a bug or bad input.
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return Fault.UNAVAILABLE
    return None
