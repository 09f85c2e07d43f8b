"""Live updates and presence between two `frontdesk serve` processes, through Redis.

Two browsers, each signed in on a server process of its own (one PostgreSQL database, one
Redis): what one agent does on process one shows on the other agent's page, served by
process two, without a reload: "is replying" and a changed priority.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import NewMessage, NewTicket, open_ticket
from frontdesk.services import build_services
from frontdesk.settings import Settings
from tests.chat.test_processes import Served
from tests.conftest import _pg_database, unavailable
from tests.web.browser import Problems
from tests.web.helpers import PASSWORD

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from _pg_database()


def _seed(settings: Settings) -> tuple[str, str, int]:
    services = build_services(settings)  # migrates once, before either server starts
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, "Two processes")
            actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
            tag = secrets.token_hex(3)
            inbox = accounts.create_inbox(uow, actor, "Support", f"support-{tag}@example.com")
            for name in ("Alva Lindqvist", "Jonas Berg"):
                first = name.split()[0].lower()
                fields = AgentFields(
                    name=name, email=f"{first}-{tag}@example.com", password=PASSWORD
                )
                accounts.create_agent(uow, actor, fields)
            ticket = open_ticket(
                uow, actor,
                NewTicket(subject="Across processes", message=NewMessage(body_text="Hello?"),
                          requester_email=f"customer-{tag}@example.com", inbox_id=inbox.id),
            ).ticket  # fmt: skip
    finally:
        services.close()
    return f"alva-{tag}@example.com", f"jonas-{tag}@example.com", ticket.id


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/tickets")


def test_presence_and_changes_cross_server_processes(
    browser: Any, redis_url: str, pg_url: str, tmp_path: Path, problems: Problems
) -> None:
    from playwright.sync_api import expect

    settings = Settings(data_dir=tmp_path, database_url=pg_url)
    alva_email, jonas_email, ticket_id = _seed(settings)
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_DATABASE_URL": pg_url,
        "FRONTDESK_REDIS_URL": redis_url,
        "FRONTDESK_CHAT_CHANNEL_PREFIX": f"fdtest-{secrets.token_hex(6)}",
        "FRONTDESK_SMTP_PORT": "0",
    }
    servers = [Served(tmp_path, env), Served(tmp_path, env)]
    contexts = []
    try:
        for server in servers:
            server.wait()
        contexts = [browser.new_context(base_url=f"http://{server.host}") for server in servers]
        alva, jonas = contexts[0].new_page(), contexts[1].new_page()
        problems.watch(alva)
        problems.watch(jonas)
        _sign_in(alva, alva_email)
        _sign_in(jonas, jonas_email)
        jonas.goto(f"/tickets/{ticket_id}")
        alva.goto(f"/tickets/{ticket_id}")
        expect(jonas.locator("#presence")).to_contain_text("Alva Lindqvist is viewing")
        alva.get_by_label("Reply to the customer").type("On it")
        expect(jonas.locator("#presence")).to_contain_text("Alva Lindqvist is replying")
        alva.get_by_label("Priority").select_option("high")
        alva.get_by_role("button", name="Set priority").click()
        expect(jonas.get_by_label("Priority")).to_have_value("high")
    finally:
        for context in contexts:
            context.close()
        for server in servers:
            server.stop()
