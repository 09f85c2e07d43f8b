"""Counting the statements a block of code sends to the database (no N+1 guards)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from frontdesk.services import Services


@dataclass
class Cost:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0

    @property
    def selects(self) -> int:
        return sum(1 for sql in self.statements if sql.lstrip().upper().startswith("SELECT"))

    @property
    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE")
        return [sql for sql in self.statements if sql.lstrip().upper().startswith(verbs)]


@contextmanager
def counted(services: Services) -> Iterator[Cost]:
    engine = services.store.engine
    cost = Cost()

    def statement(*args: Any) -> None:
        cost.statements.append(str(args[2]))

    def checkout(*_args: Any) -> None:
        cost.checkouts += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine.pool, "checkout", checkout)
    try:
        yield cost
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine.pool, "checkout", checkout)
