"""Bulk seeder for benchmarks: N tickets with M messages each, straight through Core.

The account, its inboxes, agents and API key go through the core's named functions like
any client's; the bulk rows (contacts, tickets, messages, labels) are written with
SQLAlchemy Core executemany in large batches, because a benchmark needs 100,000 tickets
in seconds, not the hours that 100,000 API calls would take. Ids are assigned here so
messages can point at their tickets without reading them back.

    python -m bench.seed --tickets 100000 --messages 3
    python -m bench.seed --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text, update

from frontdesk.core import accounts, credentials
from frontdesk.core.accounts import AgentFields
from frontdesk.core.clock import now_ms
from frontdesk.core.models import ALL_SCOPES, Actor, Role
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t

DAY = 86_400_000
LABELS = ["vip", "refund", "bug", "how-to", "urgent", "follow-up"]
STATUSES = ["new", "reply", "pending", "on-hold", "solved", "closed"]
AUTO_REPLY = "Thanks for writing: we answer within one working day."


@dataclass
class Seeded:
    account_id: int
    api_key: str
    inbox_email: str
    tickets: int
    messages: int
    contacts: int
    first_ticket_id: int
    last_ticket_id: int
    seconds: float
    rows_per_second: float
    database_url: str
    data_dir: str


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _bulk(conn: Connection, table: Table, rows: Iterator[dict[str, Any]], size: int) -> int:
    written = 0
    for batch in _batches(rows, size):
        conn.execute(insert(table), batch)
        written += len(batch)
    return written


def _fix_sequences(conn: Connection) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past what was written."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("contacts", "tickets", "messages"):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def seed(
    settings: Settings, tickets: int, messages: int, *, batch: int = 10_000, rng_seed: int = 7
) -> Seeded:
    services = build_services(settings)
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    suffix = uuid.uuid4().hex[:8]
    with services.store.write() as repo:
        account = accounts.create_account(repo, f"Bench {suffix}")
        actor = Actor(account_id=account.id, label="bench", scopes=ALL_SCOPES)
        support = accounts.create_inbox(
            repo, actor, "Support", f"support-{suffix}@bench.example", AUTO_REPLY
        )
        info = accounts.create_inbox(repo, actor, "Info", f"info-{suffix}@bench.example")
        agents = [
            accounts.create_agent(
                repo,
                actor,
                AgentFields(
                    name=f"Agent {i}",
                    email=f"agent{i}-{suffix}@bench.example",
                    role=Role.AGENT,
                    inbox_ids=[support.id, info.id],
                ),
            )
            for i in range(5)
        ]
        key = credentials.issue_api_key(repo, actor, "bench", ALL_SCOPES).token
    contact_count = max(1, tickets // 4)
    now = now_ms()
    with services.store.engine.begin() as conn:
        first_contact = _next_id(conn, t.contacts)
        first_ticket = _next_id(conn, t.tickets)
        first_message = _next_id(conn, t.messages)
        _bulk(conn, t.contacts, _contacts(account.id, first_contact, contact_count, now), batch)
        plan = _TicketPlan(account.id, [support.id, info.id], first_contact, contact_count, rng)
        written = _bulk(conn, t.tickets, plan.tickets(first_ticket, tickets, now), batch)
        _bulk(conn, t.ticket_labels, plan.labels(), batch)
        agent_pairs = [(agent.id, agent.email) for agent in agents]
        message_rows = plan.messages(first_message, messages, agent_pairs)
        message_count = _bulk(conn, t.messages, message_rows, batch)
        conn.execute(
            update(t.accounts).where(t.accounts.c.id == account.id).values(ticket_seq=written)
        )
        _fix_sequences(conn)
    if services.store.engine.dialect.name == "postgresql":
        # autovacuum would gather these statistics soon after a bulk load; SQLite gets
        # none, as nothing in Frontdesk runs ANALYZE there: the plans must hold without.
        with services.store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    seconds = time.perf_counter() - started
    services.close()
    rows = contact_count + written + message_count
    return Seeded(
        account_id=account.id,
        api_key=key,
        inbox_email=support.email,
        tickets=written,
        messages=message_count,
        contacts=contact_count,
        first_ticket_id=first_ticket,
        last_ticket_id=first_ticket + written - 1,
        seconds=round(seconds, 2),
        rows_per_second=round(rows / seconds),
        database_url=settings.database_url,
        data_dir=str(settings.data_dir),
    )


def _contacts(account_id: int, first: int, count: int, now: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "id": first + i,
            "account_id": account_id,
            "email": f"customer{i}@example.org",
            "name": f"Customer {i}",
            "created": now - 400 * DAY,
        }


class _TicketPlan:
    """Tickets spread over the last year; each keeps its times for its messages."""

    def __init__(
        self,
        account_id: int,
        inboxes: list[int],
        first_contact: int,
        contacts: int,
        rng: random.Random,
    ) -> None:
        self.account_id = account_id
        self.inboxes = inboxes
        self.first_contact = first_contact
        self.contacts = contacts
        self.rng = rng
        self.first = 0
        self.times: list[tuple[int, int, int]] = []  # created, updated, requester offset

    def tickets(self, first: int, count: int, now: int) -> Iterator[dict[str, Any]]:
        self.first = first
        span = 365 * DAY
        for i in range(count):
            # ids ascend with creation time, as they do in a live system
            created = now - span + (span * i) // max(count, 1)
            updated = min(now, created + self.rng.randrange(0, 5 * DAY))
            requester = self.rng.randrange(self.contacts)
            self.times.append((created, updated, requester))
            yield {
                "id": self.first + i,
                "uuid": str(uuid.uuid4()),
                "account_id": self.account_id,
                "number": i + 1,
                "subject": f"Question {i} about booking {self.rng.randrange(10_000)}",
                "status": STATUSES[self.rng.randrange(len(STATUSES))],
                "priority": "normal",
                "inbox_id": self.inboxes[i % len(self.inboxes)],
                "requester_id": self.first_contact + requester,
                "notes": "",
                "force_closed": False,
                "created": created,
                "updated": updated,
                "latest_activity": updated,
            }

    def labels(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self.times)):
            if i % 3 == 0:
                picked = {LABELS[i % len(LABELS)], LABELS[(i // 7) % len(LABELS)]}
                for name in sorted(picked):
                    yield {"ticket_id": self.first + i, "name": name}

    def messages(
        self, first: int, per_ticket: int, agents: list[tuple[int, str]]
    ) -> Iterator[dict[str, Any]]:
        next_id = first
        for i, (created, updated, requester) in enumerate(self.times):
            customer = f"customer{requester}@example.org"
            for j in range(per_ticket):
                at = created + ((updated - created) * j) // max(per_ticket - 1, 1)
                from_customer = j % 2 == 0
                agent_id, agent_email = agents[(i + j) % len(agents)]
                body = f"Message {j} on ticket {i}. " * 8
                yield {
                    "id": next_id,
                    "uuid": str(uuid.uuid4()),
                    "account_id": self.account_id,
                    "ticket_id": self.first + i,
                    "kind": "external",
                    "agent_id": None if from_customer else agent_id,
                    "contact_id": self.first_contact + requester if from_customer else None,
                    "from_email": customer if from_customer else agent_email,
                    "from_name": None,
                    "to_addrs": "" if from_customer else customer,
                    "cc_addrs": "",
                    "bcc_addrs": "",
                    "body_text": body,
                    "body_html": f"<p>{body}</p>",
                    "email_message_id": None,
                    "created": at,
                }
                next_id += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=3, help="messages per ticket")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per executemany")
    parser.add_argument("--database-url", default="", help="default: SQLite in --data-dir")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/results/data"))
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url).resolved()
    seeded = seed(settings, args.tickets, args.messages, batch=args.batch)
    print(json.dumps(asdict(seeded), indent=2))


if __name__ == "__main__":
    main()
