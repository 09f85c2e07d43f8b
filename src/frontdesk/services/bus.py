"""The in-process event bus (embedded default): subscribers hear events after commit."""

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
                    log.exception("event subscriber failed on %s", event.kind)
