"""Ports every area shares: the event log a unit of work writes, blobs, the event bus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from frontdesk.core.shared.records import Event


class EventLog(Protocol):
    """What happened, recorded in the transaction that made it happen."""

    def record_event(self, event: Event, now: int) -> None: ...

    def list_events(
        self, account_id: int, ticket_id: int
    ) -> list[tuple[str, str, dict[str, Any]]]: ...


class EventsUnit(Protocol):
    """The smallest unit of work: one transaction and its event log.

    Each area's unit (`ContactsUnit`, `TicketsUnit`, ...) extends this with the
    repositories its functions use; storage's one unit of work satisfies them all.
    """

    @property
    def events(self) -> EventLog: ...


class BlobStore(Protocol):
    """Where attachment bytes live, addressed by their sha256."""

    def put(self, data: bytes) -> str: ...

    def open(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


class EventBus(Protocol):
    """Hears about events after their transaction committed."""

    def publish(self, events: Sequence[Event]) -> None: ...
