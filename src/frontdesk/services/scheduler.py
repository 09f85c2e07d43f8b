"""The scheduler inside `frontdesk serve`: periodic jobs, run by one process at a time.

Any area's periodic work (the time rules' sweep, part B's SLA sweep) is a `PeriodicJob`:
a name, how often, and `run(store, now)`. The scheduler runs every due job while it holds
the leadership:

- **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) on a connection
  of its own, kept open while the process lives. Several `serve` processes share one
  database; the one that holds the lock runs the jobs, the others try again every tick.
  A crashed leader's connection closes, PostgreSQL drops its lock, and the next process to
  try takes over within one tick.
- **SQLite**: one database file belongs to one `serve`, so the scheduler just runs.

Jobs must still be safe to repeat (a leader may die after a job's work committed and
before it noted the run): the time rules record each firing under a unique key.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Connection, text

from frontdesk.core.shared.clock import now_ms
from frontdesk.storage.db import is_sqlite
from frontdesk.storage.faults import describe
from frontdesk.storage.store import Store

log = logging.getLogger(__name__)

# The advisory lock's key: any 64-bit number the application uses for nothing else.
LEADER_LOCK = 0x46_44_53_43_48_45_44  # "FDSCHED"


class PeriodicJob(Protocol):
    """Work the scheduler runs every `every_seconds` while its process leads."""

    @property
    def name(self) -> str: ...

    @property
    def every_seconds(self) -> float: ...

    def run(self, store: Store, now: int) -> object:
        """Do one round; `now` is the scheduler's clock (ms), controllable in tests."""
        ...


class Leadership(Protocol):
    def hold(self) -> bool:
        """Take or keep the leadership; False while another process has it."""
        ...

    def release(self) -> None: ...


class SoleLeader:
    """SQLite: the one process that owns the file leads."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        return None


class AdvisoryLockLeader:
    """PostgreSQL: leads while its own session holds the advisory lock."""

    def __init__(self, store: Store, key: int = LEADER_LOCK) -> None:
        self.store = store
        self.key = key
        self._conn: Connection | None = None

    def hold(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))  # still our session, so still our lock
                return True
            except Exception as error:  # the session is gone, and the lock with it
                log.warning("scheduler: lost the leader's session: %s", describe(error))
                self._drop()
        return self._try()

    def _try(self) -> bool:
        conn = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
        except Exception:
            conn.close()
            raise
        if not taken:
            conn.close()
            return False
        # Named, so that an operator (and the two-process test) can see who leads:
        # pg_locks joined with pg_stat_activity on the advisory lock's key.
        conn.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": f"frontdesk-scheduler-{os.getpid()}"},
        )
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception as error:  # closing the session below releases it anyway
            log.warning("scheduler: could not unlock: %s", describe(error))
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never back to the pool: the session may hold the lock
            finally:
                conn.close()


def leadership_for(store: Store) -> Leadership:
    return SoleLeader() if is_sqlite(store.engine) else AdvisoryLockLeader(store)


class Scheduler:
    """Runs its jobs when due, while leading; `tick` is one round (tests call it)."""

    def __init__(
        self,
        store: Store,
        jobs: Sequence[PeriodicJob],
        *,
        leadership: Leadership | None = None,
        clock: Callable[[], int] = now_ms,
        tick_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.jobs = list(jobs)
        self.leadership = leadership or leadership_for(store)
        self.clock = clock
        self.tick_seconds = tick_seconds
        self._last: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[str]:
        """Run the jobs that are due, if this process leads; the names of those run."""
        try:
            if not self.leadership.hold():
                return []
        except Exception as error:  # the database is away: try again next tick
            log.warning("scheduler: cannot reach the database: %s", describe(error))
            return []
        ran = []
        for job in self.jobs:
            now = self.clock()
            last = self._last.get(job.name)
            if last is not None and now - last < job.every_seconds * 1000:
                continue
            self._last[job.name] = now
            try:
                job.run(self.store, now)
            except Exception:  # one job's failure must not stop the others
                log.exception("scheduler: job %s failed", job.name)
                continue
            ran.append(job.name)
        return ran

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="frontdesk-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.leadership.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.tick_seconds)
