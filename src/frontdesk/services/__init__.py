"""The wired parts of a running Frontdesk, built once from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core.automation.service_levels import track
from frontdesk.core.notify.derive import notify
from frontdesk.services import csat, rules, webhooks
from frontdesk.services.blobstores import build_blob_store
from frontdesk.services.bus import InProcessBus
from frontdesk.services.fanout import Fanout, build_fanout
from frontdesk.settings import Settings
from frontdesk.storage.blobs import BlobBackend
from frontdesk.storage.db import Limits
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    blobs: BlobBackend
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
    # Triggers first: the notifications and webhooks below then see what they did too.
    rules.install(store)
    # SLA clocks first: the warnings and breaches they record reach the hooks after them.
    store.before_commit.append(lambda uow: track(uow, list(uow.events.recorded)))
    store.before_commit.append(lambda uow: notify(uow, list(uow.events.pending), base_url))
    if migrate:
        upgrade(store.engine)
    fanout = build_fanout(settings.redis_url, settings.chat_channel_prefix)
    bus.subscribe(fanout.publish_event)
    csat.install(store, settings)  # before webhooks: they deliver its events too
    webhooks.install(store)
    return Services(
        settings=settings,
        store=store,
        blobs=build_blob_store(settings),
        bus=bus,
        fanout=fanout,
    )
