"""A consistent copy of a live SQLite database, and what a copy needs from the blob store.

Used by `frontdesk backup` / `restore` (docs/deploy.md, "Backups"). The copy is made with
SQLite's online backup API in one step: one read transaction, so one snapshot, and under
WAL the server's writers carry on while it runs.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DatabaseError

from frontdesk.storage.tickets.removal import all_names_in_use

_HAS_REVISION = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"


class SnapshotError(Exception):
    """The copy is unusable; said in one line."""


def online_copy(source: Path, target: Path, busy_timeout_seconds: float) -> None:
    """Copy the database at `source` into a new file `target` while others write to it."""
    if not source.is_file():
        raise SnapshotError(f"there is no database at {source}")
    with (
        closing(sqlite3.connect(source, timeout=busy_timeout_seconds)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        # pages=-1: every page in one step. Copied in several steps, a write between two
        # of them would restart the copy, and a busy server could keep it from finishing.
        live.backup(copy, pages=-1)
        verdict = copy.execute("PRAGMA quick_check").fetchone()
    target.chmod(0o600)  # what the data directory holds is its owner's only
    if verdict != ("ok",):
        raise SnapshotError(f"the copy of {source} fails SQLite's check: {verdict}")


def referenced_blobs(database: Path) -> set[str]:
    """The names of every stored file a row of this database names (attachments, raw mail,
    logos)."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return all_names_in_use(conn)
    finally:
        engine.dispose()


def schema_revision(database: Path) -> str:
    """The Alembic revision the database is at; refuses a file that is not Frontdesk's."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            if conn.exec_driver_sql(_HAS_REVISION).scalar() is None:
                raise SnapshotError(f"{database} is not a Frontdesk database")
            return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())
    except DatabaseError as exc:  # "file is not a database", and the like
        raise SnapshotError(f"{database} cannot be read as a database: {exc.orig}") from exc
    finally:
        engine.dispose()
