"""Transactions as units of work; events published after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from frontdesk.core.shared.ports import EventBus
from frontdesk.storage.db import Limits, make_engine, ping, transaction
from frontdesk.storage.uow import SqlUnitOfWork


class Store:
    def __init__(self, engine: Engine, bus: EventBus) -> None:
        self.engine = engine
        self.bus = bus
        # Run at the end of every write transaction, inside it, with what it recorded:
        # work that must commit with the change or not at all (agents' notifications).
        self.before_commit: list[Callable[[SqlUnitOfWork], object]] = []

    @classmethod
    def from_url(cls, url: str, bus: EventBus, *, limits: Limits | None = None) -> Store:
        return cls(make_engine(url, limits=limits), bus)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        """A write transaction; its events reach the bus only once it committed."""
        with transaction(self.engine, write=True) as conn:
            uow = SqlUnitOfWork(conn)
            yield uow
            for hook in self.before_commit:
                hook(uow)
        if uow.events.pending:
            self.bus.publish(uow.events.pending)

    @contextmanager
    def read(self) -> Iterator[SqlUnitOfWork]:
        with transaction(self.engine, write=False) as conn:
            yield SqlUnitOfWork(conn)

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it, so that old page
        images (an erased contact's text among them) leave the log. Nothing elsewhere."""
        if self.engine.dialect.name != "sqlite":
            return
        raw = self.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    def ping(self) -> None:
        ping(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
