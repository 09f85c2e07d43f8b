"""The in-process event bus (embedded default): subscribers hear events after commit.

A subscriber that raises is logged at ERROR on this module's logger, with the event and
the subscriber, and the others still hear the event: the change is committed already and
must stay so. The test suite fails any test during which such a record is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from frontdesk.core.shared.records import Event

log = logging.getLogger(__name__)
Subscriber = Callable[[Event], None]


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception:
                    # A failing listener must not undo or block a committed change.
                    log.exception(
                        "event subscriber %s failed on %s (account %s, ticket %s)",
                        _name(subscriber), event.kind, event.account_id, event.ticket_id,
                    )  # fmt: skip


def _name(subscriber: Subscriber) -> str:
    return getattr(subscriber, "__qualname__", None) or repr(subscriber)
