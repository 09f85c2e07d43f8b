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
        # Runs in every write transaction that recorded events, just before it commits:
        # the webhook outbox queues its deliveries there (services/webhooks.py), so they
        # commit, or roll back, with the change itself.
        self.before_commit: Callable[[SqlUnitOfWork], None] | None = None

    @classmethod
    def from_url(cls, url: str, bus: EventBus, *, limits: Limits | None = None) -> Store:
        return cls(make_engine(url, limits=limits), bus)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        """A write transaction; its events reach the bus only once it committed."""
        with transaction(self.engine, write=True) as conn:
            uow = SqlUnitOfWork(conn)
            yield uow
            if self.before_commit is not None and uow.events.recorded:
                self.before_commit(uow)
        if uow.events.pending:
            self.bus.publish(uow.events.pending)

    @contextmanager
    def read(self) -> Iterator[SqlUnitOfWork]:
        with transaction(self.engine, write=False) as conn:
            yield SqlUnitOfWork(conn)

    def ping(self) -> None:
        ping(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
