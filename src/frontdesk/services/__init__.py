"""The wired parts of a running Frontdesk, built once from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core.notify.derive import notify
from frontdesk.services.bus import InProcessBus
from frontdesk.services.fanout import Fanout, build_fanout
from frontdesk.settings import Settings
from frontdesk.storage.blobs import LocalBlobStore
from frontdesk.storage.db import Limits
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    blobs: LocalBlobStore
    bus: InProcessBus
    fanout: Fanout  # committed events to every server process (chat sockets, live pages)

    def close(self) -> None:
        self.fanout.close()
        self.store.dispose()


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    settings = settings.resolved()
    bus = InProcessBus()
    limits = Limits(
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        connect_timeout_seconds=settings.db_connect_timeout_seconds,
        statement_timeout_seconds=settings.db_statement_timeout_seconds,
    )
    store = Store.from_url(settings.database_url, bus, limits=limits)
    base_url = settings.public_base_url
    store.before_commit.append(lambda uow: notify(uow, list(uow.events.pending), base_url))
    if migrate:
        upgrade(store.engine)
    fanout = build_fanout(settings.redis_url, settings.chat_channel_prefix)
    bus.subscribe(fanout.publish_event)
    return Services(
        settings=settings,
        store=store,
        blobs=LocalBlobStore(settings.blob_dir),
        bus=bus,
        fanout=fanout,
    )
