"""Webhook tests: a worker driven round by round, against a receiver on loopback."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.api.native import hook_payloads
from frontdesk.app import create_app
from frontdesk.core import tickets
from frontdesk.services import Services
from frontdesk.services.webhooks import WebhookWorker
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.unit.test_calendars import utc

FAST = {
    "allow_private_webhooks": True,  # the receiver is on loopback
    "webhook_retry_base_seconds": 0.01,
    "webhook_retry_max_seconds": 0.05,
    "webhook_timeout_seconds": 2.0,
}


@pytest.fixture(scope="session")
def client(services: Services) -> TestClient:
    """The API as an operator who allowed private webhook addresses runs it: the receivers
    here are on loopback, which registration refuses by default (test_webhooks.py's
    test_registration_refuses_a_private_address_by_default)."""
    allowing = services.settings.model_copy(update={"allow_private_webhooks": True})
    return TestClient(create_app(services=dataclasses.replace(services, settings=allowing)))


def make_worker(services: Services, **overrides: Any) -> WebhookWorker:
    settings = services.settings.model_copy(update={**FAST, **overrides})
    return WebhookWorker(services.store, settings, hook_payloads.renderer(settings.public_base_url))


@pytest.fixture
def worker(services: Services) -> Iterator[WebhookWorker]:
    made = make_worker(services)
    yield made
    made.stop()


def pending(services: Services, endpoint_id: int) -> int:
    wd = t.webhook_deliveries
    with services.store.read() as uow:
        rows = uow.conn.execute(
            select(wd.c.id).where(
                wd.c.endpoint_id == endpoint_id, wd.c.status.in_(("queued", "sending"))
            )
        ).all()
    return len(rows)


def drain(worker: WebhookWorker, services: Services, endpoint_id: int, seconds: float = 15) -> None:
    """Run rounds until the endpoint has nothing pending (retries come due quickly here)."""
    deadline = time.monotonic() + seconds
    while pending(services, endpoint_id):
        assert time.monotonic() < deadline, "deliveries still pending"
        if not worker.run_once():
            time.sleep(0.02)


def register(
    client: TestClient, tenant: Tenant, url: str, types: list[str], **extra: Any
) -> dict[str, Any]:
    made = client.post(
        "/api/v1/webhooks",
        json={"url": url, "event_types": types, **extra},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def open_ticket(client: TestClient, tenant: Tenant, subject: str = "Order") -> dict[str, Any]:
    made = client.post(
        "/api/v1/tickets",
        json={
            "subject": subject,
            "message": {"body": "Where is my order?"},
            "requester_email": tenant.address("ann"),
        },
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def set_status(client: TestClient, tenant: Tenant, ticket_id: int, status: str) -> None:
    done = client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": status}, headers=tenant.headers()
    )
    assert done.status_code == 200, done.text


def feed(client: TestClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    got = client.get("/api/v1/events", params={"limit": 500, **params}, headers=tenant.headers())
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()["items"]
    return items


class Clock:
    def __init__(self) -> None:
        self.now = utc("2026-11-23 09:00")

    def __call__(self) -> int:
        return self.now

    def at(self, text: str) -> None:
        self.now = utc(text)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The tickets and automation areas' time: every module of theirs that reads it."""
    made = Clock()
    for package in (tickets, importlib.import_module("frontdesk.core.automation")):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if hasattr(module, "now_ms"):
                monkeypatch.setattr(module, "now_ms", made)
    return made
