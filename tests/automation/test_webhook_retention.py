"""The delivery log's retention: the worker's sweep deletes delivered deliveries after
FRONTDESK_WEBHOOK_KEEP_DELIVERED_DAYS and failed ones after ..._KEEP_FAILED_DAYS, in
batches, with their attempts; queued deliveries stay whatever their age. The sweep is
given the time (`now`), so the test moves the clock instead of waiting."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.app import create_app
from frontdesk.core.shared.clock import now_ms
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from tests.automation.conftest import drain, make_worker, open_ticket, register
from tests.automation.receiver import receiving
from tests.conftest import Tenant, _pg_database

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def services(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A database of this module's own: the sweep is by age and status over every account,
    so the deliveries other tests left behind (and the worker would send meanwhile) must
    not be in its counts."""
    if settings.database_url.startswith("sqlite"):
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('retention')}/r.db"])
    else:
        urls = _pg_database()
    url = next(urls)
    built = build_services(settings.model_copy(update={"database_url": url}))
    try:
        yield built
    finally:
        built.close()
        next(urls, None)  # drops the PostgreSQL database


@pytest.fixture(scope="module")
def client(services: Services) -> TestClient:
    allowing = services.settings.model_copy(update={"allow_private_webhooks": True})
    return TestClient(create_app(services=dataclasses.replace(services, settings=allowing)))


def _statuses(services: Services, endpoint_id: int) -> Counter[str]:
    wd = t.webhook_deliveries
    with services.store.read() as uow:
        rows = uow.conn.execute(select(wd.c.status).where(wd.c.endpoint_id == endpoint_id))
        return Counter(rows.scalars())


def _attempt_rows(services: Services, endpoint_id: int) -> int:
    wd, wa = t.webhook_deliveries, t.webhook_attempts
    with services.store.read() as uow:
        rows = uow.conn.execute(
            select(wa.c.id)
            .join(wd, wd.c.id == wa.c.delivery_id)
            .where(wd.c.endpoint_id == endpoint_id)
        )
        return len(rows.all())


def test_old_deliveries_are_swept_in_batches_failed_ones_later_queued_never(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    worker = make_worker(services, webhook_keep_delivered_days=30, webhook_keep_failed_days=90)
    try:
        with receiving() as receiver:
            hook = register(client, tenant, receiver.url, ["ticket.opened"])
            receiver.script = [410]  # the first delivery fails at once, the rest arrive
            for n in range(5):
                open_ticket(client, tenant, f"Order {n}")
            drain(worker, services, hook["id"])
        open_ticket(client, tenant, "Not yet sent")  # stays queued: no round runs for it
        assert _statuses(services, hook["id"]) == {"delivered": 4, "failed": 1, "queued": 1}
        assert _attempt_rows(services, hook["id"]) == 5
        start = now_ms()

        assert worker.sweep_deliveries(now=start + 29 * DAY_MS, batch=2) == 0
        assert worker.sweep_deliveries(now=start + 31 * DAY_MS, batch=2) == 4  # in 3 batches
        assert _statuses(services, hook["id"]) == {"failed": 1, "queued": 1}
        assert _attempt_rows(services, hook["id"]) == 1  # the failed one's log is kept
        listed = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers())
        assert [item["status"] for item in listed.json()["items"]] == ["queued", "failed"]

        assert worker.sweep_deliveries(now=start + 89 * DAY_MS) == 0
        assert worker.sweep_deliveries(now=start + 91 * DAY_MS) == 1
        assert worker.sweep_deliveries(now=start + 10_000 * DAY_MS) == 0
        assert _statuses(services, hook["id"]) == {"queued": 1}
        assert _attempt_rows(services, hook["id"]) == 0
    finally:
        worker.stop()


def test_the_sweep_leaves_other_statuses_and_recent_rows_of_every_account(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, services: Services
) -> None:
    """Retention is by age and status only: a recent delivery of any account stays."""
    worker = make_worker(services)
    try:
        with receiving() as receiver:
            mine = register(client, tenant, receiver.url, ["ticket.opened"])
            theirs = register(client, other_tenant, receiver.url, ["ticket.opened"])
            open_ticket(client, tenant)
            open_ticket(client, other_tenant)
            drain(worker, services, mine["id"])
            drain(worker, services, theirs["id"])
        assert worker.sweep_deliveries(now=now_ms() + DAY_MS) == 0
        assert _statuses(services, mine["id"]) == {"delivered": 1}
        assert _statuses(services, theirs["id"]) == {"delivered": 1}
    finally:
        worker.stop()
