"""Two `frontdesk serve` processes on one PostgreSQL database: a time rule fires once,
and when the leading process is killed (SIGKILL: no goodbye) the other takes over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, RuleKind
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from tests.chat.helpers import Served
from tests.conftest import _pg_database

HOUR = 3_600_000


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from _pg_database()


def backdated_ticket(services: Services, actor: Actor, subject: str) -> int:
    """A ticket opened an hour ago (an import keeps its time): unassigned for 60 minutes."""
    with services.store.write() as uow:
        new = tickets.NewTicket(
            subject=subject, message=tickets.NewMessage("hi", created=now_ms() - HOUR)
        )
        return tickets.open_ticket(uow, actor, new).ticket.id


def firings(services: Services, ticket_id: int) -> int:
    with services.store.read() as uow:
        row = uow.conn.execute(
            text("SELECT count(*) FROM events WHERE ticket_id = :t AND kind = 'rule.fired'"),
            {"t": ticket_id},
        )
        return int(row.scalar_one())


def leader_pid(services: Services) -> int | None:
    with services.store.read() as uow:
        name = uow.conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                " AND a.application_name LIKE 'frontdesk-scheduler-%'"
                # Other tests' servers lead on their own databases in the same cluster.
                " AND a.datname = current_database()"
            )
        ).scalar()
    return None if name is None else int(name.rsplit("-", 1)[1])


def until(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_time_rule_fires_once_across_two_servers_and_survives_killing_the_leader(
    pg_url: str, tmp_path: Path
) -> None:
    services = build_services(Settings(data_dir=tmp_path, database_url=pg_url))
    with services.store.write() as uow:
        account = accounts.create_account(uow, "Two servers")
        actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
        define.create_rule(
            uow, actor, RuleKind.TIME_RULE,
            RuleFields("Escalate", conditions=(Condition("unassigned_minutes", "at_least", 30),),
                       actions=(Action("add_tags", ("escalated",)),)),
        )  # fmt: skip
    first = backdated_ticket(services, actor, "First")
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_DATABASE_URL": pg_url,
        "FRONTDESK_SMTP_PORT": "0",
        "FRONTDESK_SCHEDULER_TICK_SECONDS": "0.2",
        "FRONTDESK_TIME_RULES_EVERY_SECONDS": "0.3",
    }
    servers = [Served(tmp_path, env), Served(tmp_path, env)]
    try:
        for server in servers:
            server.wait()
        until(lambda: firings(services, first) == 1, "the time rule did not fire")
        until(lambda: leader_pid(services) is not None, "nobody leads")
        time.sleep(2)  # several sweeps of both processes
        assert firings(services, first) == 1
        pids = {server.process.pid: server for server in servers}
        leading = leader_pid(services)
        assert leading in pids
        pids[leading].process.kill()  # SIGKILL: its session dies with it
        pids[leading].process.wait()
        survivor = next(server for pid, server in pids.items() if pid != leading)
        second = backdated_ticket(services, actor, "Second")
        until(lambda: firings(services, second) == 1, "nobody took over")
        assert leader_pid(services) == survivor.process.pid
        time.sleep(1)
        assert (firings(services, first), firings(services, second)) == (1, 1)
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.stop()
            else:
                server.log.close()
        services.close()
