"""The in-process bus: a failing subscriber is logged loudly, and nothing else changes."""

from __future__ import annotations

import logging
from pathlib import Path

from frontdesk.core.identity import accounts
from frontdesk.core.shared.records import Event
from frontdesk.services.bus import InProcessBus
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.store import Store
from tests.conftest import BusErrors


class Broken:
    def __call__(self, event: Event) -> None:
        raise ValueError(f"cannot handle {event.kind}")


def test_a_failing_subscriber_is_logged_and_the_others_still_hear(bus_errors: BusErrors) -> None:
    bus = InProcessBus()
    heard: list[str] = []
    bus.subscribe(Broken())
    bus.subscribe(lambda event: heard.append(event.kind))
    bus.publish([Event(account_id=3, kind="chat.message", actor="a", ticket_id=9)])
    assert heard == ["chat.message"]
    (record,) = bus_errors.take()
    assert record.levelno == logging.ERROR and record.name == "frontdesk.services.bus"
    message = record.getMessage()
    assert "Broken" in message and "chat.message" in message and "account 3" in message
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_a_failing_subscriber_never_undoes_the_committed_change(
    tmp_path: Path, bus_errors: BusErrors
) -> None:
    bus = InProcessBus()
    bus.subscribe(Broken())
    store = Store.from_url(f"sqlite:///{tmp_path / 'bus.db'}", bus)
    upgrade(store.engine)
    try:
        with store.write() as uow:
            created = accounts.create_account(uow, "Kept")
        with store.read() as uow:
            kept = uow.accounts.get_account(created.id)
    finally:
        store.dispose()
    assert kept is not None and kept.name == "Kept"
    assert [record.levelno for record in bus_errors.take()] == [logging.ERROR]
