"""The database away: 503 with Retry-After in each dialect's shape, never a 500 or a hang.

PostgreSQL is reached through a TCP proxy the test controls (tests/faults.py): silent
(accepts, answers nothing: a network dropping packets) or refusing (the server down). The
server is a real uvicorn with one event loop and its request thread pool, so that a pool
full of waiting requests is what it would be in production. SQLite's equivalent is a
writer holding the lock past the busy timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy.engine import make_url

from frontdesk.app import create_app
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.storage.db import normalise_url
from tests.conftest import Tenant, _pg_database
from tests.faults import BLACKHOLE, FORWARD, REFUSE, FaultyProxy
from tests.live import serving

CONNECT_TIMEOUT = 2  # libpq's least
STATEMENT_TIMEOUT = 1.0
RETRY_AFTER = "7"
# The longest a request may take while the database is away: a pooled connection's silent
# answer (statement timeout + 2 s grace), then a new connection's timeout; and some slack
# for a loaded machine. Not a performance figure: a bound, past which a request "hangs".
BOUND_SECONDS = STATEMENT_TIMEOUT + 2 + CONNECT_TIMEOUT + 5


@dataclass
class Proxied:
    proxy: FaultyProxy
    base: str
    tenant: Tenant
    workspace: str
    customer_token: str


@pytest.fixture(scope="module")
def pg_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A PostgreSQL database of this module's own, reached directly (PostgreSQL only: the
    proxy stands between Frontdesk and PostgreSQL)."""
    for url in _pg_database():
        built = build_services(Settings(data_dir=tmp_path_factory.mktemp("pg"), database_url=url))
        yield built
        built.close()


@pytest.fixture
def proxied(pg_services: Services, tmp_path: Path) -> Iterator[Proxied]:
    services = pg_services
    tenant = Tenant(services, "Outage")
    url = make_url(normalise_url(services.settings.database_url))
    proxy = FaultyProxy(url.host or "127.0.0.1", url.port or 5432)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
        db_connect_timeout_seconds=CONNECT_TIMEOUT,
        db_statement_timeout_seconds=STATEMENT_TIMEOUT,
        retry_after_seconds=int(RETRY_AFTER),
    )
    own = build_services(settings, migrate=False)
    with services.store.write() as uow:
        workspace = accounts.get_account(uow, tenant.id).public_id
        contact = uow.contacts.insert_contact(
            {"account_id": tenant.id, "email": tenant.address("c"), "created": 0}
        )
        assert contact is not None
        token = credentials.issue_customer_token(uow, tenant.actor, contact.id).token
    try:
        with serving(create_app(services=own)) as host:
            yield Proxied(proxy, f"http://{host}", tenant, workspace, token)
    finally:
        own.close()
        proxy.close()


def _requests(p: Proxied) -> dict[str, Callable[[], httpx2.Response]]:
    key, account = p.tenant.admin_key, p.tenant.id
    ops = {**p.tenant.headers(), "x-workspace-id": p.workspace}

    def get(path: str, **headers: str) -> Callable[[], httpx2.Response]:
        return lambda: httpx2.get(p.base + path, headers=headers, timeout=60)

    return {
        "native": get("/api/v1/agents", **p.tenant.headers()),
        "imbox": get(f"/message/listTickets/{key}/{account}"),
        "inboxops": get(f"/v1/workspaces/{p.workspace}/tickets", **ops),
        "v3": get("/v3/tickets", **{"PRIVATE-TOKEN": p.customer_token}),
    }


def _timed(call: Callable[[], httpx2.Response]) -> tuple[httpx2.Response, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


ENVELOPES: dict[str, Callable[[dict[str, Any]], str]] = {
    "native": lambda body: body["error"]["code"],
    "imbox": lambda body: body["code"] if body["result"] == "error" else "",
    "inboxops": lambda body: body["code"] if body["statusCode"] == 503 else "",
    "v3": lambda body: body["error"] if body["code"] == 503 else "",
}


@pytest.mark.parametrize("fault", [BLACKHOLE, REFUSE])
def test_every_dialect_answers_503_while_the_database_is_away_then_recovers(
    proxied: Proxied, fault: str
) -> None:
    requests = _requests(proxied)
    for dialect, call in requests.items():
        assert call().status_code == 200, dialect  # the pool holds live connections now
    proxied.proxy.set_mode(fault)
    for dialect, call in requests.items():
        answer, took = _timed(call)
        assert answer.status_code == 503, (dialect, answer.text)
        assert answer.headers["retry-after"] == RETRY_AFTER
        assert ENVELOPES[dialect](answer.json()) == "database_unavailable", answer.text
        assert took < BOUND_SECONDS, (dialect, took)
    proxied.proxy.set_mode(FORWARD)
    for dialect, call in requests.items():
        assert call().status_code == 200, dialect  # back by itself, no restart


def test_health_answers_while_every_worker_waits_on_a_silent_database(proxied: Proxied) -> None:
    call = _requests(proxied)["native"]
    assert call().status_code == 200
    proxied.proxy.set_mode(BLACKHOLE)
    answers: list[int] = []
    # Two and a half times as many requests as the server's worker thread pool (40) has
    # threads: were /healthz queued behind them, it would wait for two rounds of 40 to give
    # up on the database, at least 2 x (statement timeout + 2 s of grace) - 0.5 s = 5.5 s. It
    # answers at once instead; the bound leaves a slow machine 3.5 s (2.2 s seen under load).
    waiting = [
        threading.Thread(target=lambda: answers.append(call().status_code)) for _ in range(100)
    ]
    for thread in waiting:
        thread.start()
    time.sleep(0.5)
    health, took = _timed(lambda: httpx2.get(proxied.base + "/healthz", timeout=30))
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert took < 3.5
    ready = httpx2.get(proxied.base + "/readyz", timeout=30)
    assert ready.status_code == 503 and ready.json()["database"] in ("timeout", "unreachable")
    assert ready.headers["retry-after"] == RETRY_AFTER
    for thread in waiting:
        thread.join(timeout=120)
    assert answers == [503] * 100  # all of them answered, none hung, none a 500
    proxied.proxy.set_mode(FORWARD)
    assert call().status_code == 200
    assert httpx2.get(proxied.base + "/readyz", timeout=30).status_code == 200


def test_sqlite_locked_past_the_busy_timeout_is_a_503(tmp_path: Path) -> None:
    database = tmp_path / "busy.db"
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{database}",
        sqlite_busy_timeout_ms=300,
        retry_after_seconds=int(RETRY_AFTER),
    )
    own = build_services(settings)
    with own.store.write() as uow:
        account = accounts.create_account(uow, "Busy")
        actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
        key = credentials.issue_api_key(uow, actor, "admin", ALL_SCOPES).token
    body = {"subject": "Hi", "message": {"body": "Hello"}}
    headers = {"Authorization": f"Bearer {key}"}
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        with serving(create_app(services=own)) as host:
            holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding on
            refused = httpx2.post(f"http://{host}/api/v1/tickets", json=body, headers=headers)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "database_unavailable"
            assert refused.headers["retry-after"] == RETRY_AFTER
            holder.execute("ROLLBACK")
            made = httpx2.post(f"http://{host}/api/v1/tickets", json=body, headers=headers)
            assert made.status_code == 201
    finally:
        holder.close()
        own.close()
