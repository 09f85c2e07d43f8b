"""Bulk seeder for benchmarks: N tickets with M messages each, in seconds.

The account, its inboxes, agents and API key go through the core's named functions like
any client's; the bulk rows (contacts, tickets, messages, labels, tags, assignees) are
written straight into the tables, because a benchmark needs 1,000,000 tickets in minutes,
not the days that 1,000,000 API calls would take: `executemany` of plain tuples on SQLite,
`COPY ... FROM STDIN` on PostgreSQL, all in one transaction. Ids are assigned here so
that messages can point at their tickets without reading them back. Whatever the schema's
triggers do on insert (a search index, say) happens as it would for any row.

The text is support-desk prose (bench/text.py) with rare words at known rates, so that
searches have a known number of hits: "quokka" in one ticket in 10,000, "zeppelin" in one
in 1,000, "marzipan" in one in 100.

    python -m bench.seed --tickets 100000 --messages 3
    python -m bench.seed --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, literal, select, update

from bench.text import RARE_WORDS, Prose, as_html, expected_hits
from frontdesk.core import tickets
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from frontdesk.storage.tickets.repo import PRIORITY_RANKS

DAY = 86_400_000
LABELS = ["vip", "refund", "bug", "how-to", "urgent", "follow-up"]
TAGS = ["web", "mobile", "api", "billing", "onboarding", "enterprise", "trial", "eu"]
STATUSES = ["new", "reply", "pending", "on-hold", "solved", "closed"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
INBOXES = ["Support", "Billing", "Sales", "Partners"]
AGENTS = 8
AUTO_REPLY = "Thanks for writing: we answer within one working day."

Row = tuple[Any, ...]
CONTACT_COLUMNS = ("id", "account_id", "email", "name", "created")
TICKET_COLUMNS = (
    "id", "uuid", "account_id", "number", "subject", "status", "priority", "inbox_id",
    "requester_id", "notes", "force_closed", "created", "updated", "latest_activity",
    "priority_rank",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "uuid", "account_id", "ticket_id", "kind", "agent_id", "contact_id", "from_email",
    "from_name", "to_addrs", "cc_addrs", "bcc_addrs", "body_text", "body_html", "created",
)  # fmt: skip


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
    workspace_id: str = ""
    inbox_ids: list[int] = field(default_factory=list)
    agent_ids: list[int] = field(default_factory=list)
    labels: int = 0
    tags: int = 0
    assignees: int = 0
    search_hits: dict[str, int] = field(default_factory=dict)
    # The web app: an agent who signs in, and tickets with WEB_THREAD messages each.
    web_email: str = ""
    web_password: str = ""
    thread_ticket_ids: list[int] = field(default_factory=list)


def _next_id(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


class BulkWriter:
    """Rows as plain tuples, in the table's column order, through the fastest path."""

    def __init__(self, conn: Connection, batch: int) -> None:
        self.conn = conn
        self.batch = batch
        self.postgres = conn.dialect.name == "postgresql"

    def write(self, table: Table, columns: Sequence[str], rows: Iterable[Row]) -> int:
        """Columns left out take their defaults (other features may add some)."""
        if self.postgres:
            return self._copy(table.name, columns, rows)
        return self._executemany(table.name, columns, rows)

    def _executemany(self, name: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        # The SQLAlchemy connection's own DBAPI connection: the same transaction.
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {name} ({', '.join(_quoted(columns))}) VALUES ({marks})"  # noqa: S608
        written = 0
        for chunk in _chunks(rows, self.batch):
            cursor.executemany(sql, chunk)
            written += len(chunk)
        cursor.close()
        return written

    def _copy(self, name: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
        raw = self.conn.connection.dbapi_connection
        written = 0
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            statement = f"COPY {name} ({', '.join(_quoted(columns))}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written


def _quoted(columns: Sequence[str]) -> list[str]:
    # "references" (outbox) and the like are reserved words somewhere; quoting is harmless.
    return [f'"{c}"' for c in columns]


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The tables the bulk rows go into, and the search table their triggers fill.
BULK_TABLES = (
    "contacts", "tickets", "ticket_labels", "ticket_tags", "ticket_assignees", "messages",
    "ticket_search",
)  # fmt: skip


def _defer_indexes(conn: Connection) -> list[str]:
    """PostgreSQL: a bulk load's session has no statement timeout (one COPY of 10,000,000
    tickets takes longer than any request may), and the bulk tables' secondary indexes are
    dropped here and built again by `_build_indexes` in the same transaction: inserting
    10,000,000 rows into a dozen B-trees far larger than shared_buffers took over half an
    hour for the tickets alone, where building each index once from the loaded table takes
    a minute. The same indexes exist afterwards (their definitions are read back from the
    catalog, so a new migration's index is included), freshly built and so more compact than
    years of inserts would leave them. Primary keys and the indexes behind constraints stay:
    foreign keys and ON CONFLICT need them. The triggers run as for any insert."""
    if conn.dialect.name != "postgresql":
        return []
    conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
    rows = conn.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid "
        "WHERE c.relname = ANY(%(tables)s) AND c.relnamespace = 'public'::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY 1",
        {"tables": list(BULK_TABLES)},
    ).all()
    for name, _definition in rows:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def _build_indexes(conn: Connection, definitions: Sequence[str]) -> None:
    for definition in definitions:
        conn.exec_driver_sql(definition)


def _fix_sequences(conn: Connection) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past what was written."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("contacts", "tickets", "messages"):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


@dataclass
class _Setup:
    account_id: int
    workspace_id: str
    api_key: str
    inbox_ids: list[int]
    inbox_email: str
    agents: list[tuple[int, str, str]]  # id, email, name


def _setup(settings: Settings, suffix: str) -> _Setup:
    services = build_services(settings)
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, f"Bench {suffix}")
            actor = Actor(account_id=account.id, label="bench", scopes=ALL_SCOPES)
            inboxes = [
                accounts.create_inbox(
                    uow,
                    actor,
                    name,
                    f"{name.lower()}-{suffix}@bench.example",
                    AUTO_REPLY if name == "Support" else None,
                )
                for name in INBOXES
            ]
            inbox_ids = [inbox.id for inbox in inboxes]
            agents = [
                accounts.create_agent(
                    uow,
                    actor,
                    AgentFields(
                        name=f"Agent {i}",
                        email=f"agent{i}-{suffix}@bench.example",
                        role=Role.AGENT,
                        inbox_ids=inbox_ids,
                    ),
                )
                for i in range(AGENTS)
            ]
            key = credentials.issue_api_key(uow, actor, "bench", ALL_SCOPES).token
    finally:
        services.close()
    return _Setup(
        account.id,
        account.public_id,
        key,
        inbox_ids,
        inboxes[0].email,
        [(a.id, a.email, a.name) for a in agents],
    )


def seed(
    settings: Settings, tickets: int, messages: int, *, batch: int = 10_000, rng_seed: int = 7
) -> Seeded:
    started = time.perf_counter()
    setup = _setup(settings, uuid.uuid4().hex[:8])
    services = build_services(settings, migrate=False)
    contact_count = max(1, tickets // 4)
    counts: dict[str, int] = {}
    with services.store.engine.begin() as conn:
        deferred = _defer_indexes(conn)
        ids = {name: _next_id(conn, table) for name, table in _ID_TABLES.items()}
        plan = _Plan(setup, ids, tickets, messages, contact_count, random.Random(rng_seed))
        writer = BulkWriter(conn, batch)
        counts["contacts"] = writer.write(t.contacts, CONTACT_COLUMNS, plan.contacts())
        counts["tickets"] = writer.write(t.tickets, TICKET_COLUMNS, plan.tickets())
        pair = ("ticket_id", "name")
        counts["labels"] = writer.write(t.ticket_labels, pair, plan.labels())
        counts["tags"] = writer.write(t.ticket_tags, pair, plan.tags())
        assigned = ("ticket_id", "agent_id")
        counts["assignees"] = writer.write(t.ticket_assignees, assigned, plan.assignees())
        counts["messages"] = writer.write(t.messages, MESSAGE_COLUMNS, plan.messages())
        conn.execute(
            update(t.accounts)
            .where(t.accounts.c.id == setup.account_id)
            .values(ticket_seq=counts["tickets"])
        )
        _fix_sequences(conn)
        _derive(conn, setup.account_id)
        _build_indexes(conn, deferred)
    _analyze(services.store.engine)
    services.close()
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    web = _web_agent(settings, setup)
    return Seeded(
        web_email=web[0],
        web_password=web[1],
        thread_ticket_ids=web[2],
        account_id=setup.account_id,
        api_key=setup.api_key,
        inbox_email=setup.inbox_email,
        tickets=counts["tickets"],
        messages=counts["messages"],
        contacts=counts["contacts"],
        first_ticket_id=ids["tickets"],
        last_ticket_id=ids["tickets"] + counts["tickets"] - 1,
        seconds=round(seconds, 2),
        rows_per_second=round(rows / seconds),
        database_url=settings.database_url,
        data_dir=str(settings.data_dir),
        workspace_id=setup.workspace_id,
        inbox_ids=setup.inbox_ids,
        agent_ids=[agent[0] for agent in setup.agents],
        labels=counts["labels"],
        tags=counts["tags"],
        assignees=counts["assignees"],
        search_hits={word: expected_hits(word, tickets) for word in RARE_WORDS},
    )


_ID_TABLES = {"contacts": t.contacts, "tickets": t.tickets, "messages": t.messages}
WEB_PASSWORD = "bench-web-password"  # noqa: S105 (a throwaway benchmark account)
WEB_THREADS = 20  # tickets with WEB_THREAD messages, for the web app's ticket page
WEB_THREAD = 10


def _derive(conn: Connection, account_id: int) -> None:
    """What storage derives on every write, for the rows written in bulk: the account's
    label list (its label views)."""
    labels = (
        select(literal(account_id), t.ticket_labels.c.name)
        .join(t.tickets, t.tickets.c.id == t.ticket_labels.c.ticket_id)
        .where(t.tickets.c.account_id == account_id)
        .distinct()
    )
    conn.execute(t.account_labels.insert().from_select(["account_id", "name"], labels))


def _web_agent(settings: Settings, setup: _Setup) -> tuple[str, str, list[int]]:
    """An agent with a password, and a few tickets of WEB_THREAD messages each, made through
    the core as the web app's own would be."""
    email = f"web-{setup.account_id}@bench.example"
    services = build_services(settings, migrate=False)
    try:
        with services.store.write() as uow:
            actor = Actor(account_id=setup.account_id, label="bench", scopes=ALL_SCOPES)
            accounts.create_agent(
                uow, actor, AgentFields(name="Web Agent", email=email, password=WEB_PASSWORD)
            )
            ids = []
            prose = Prose(random.Random(3))
            for index in range(WEB_THREADS):
                opened = tickets.open_ticket(
                    uow, actor,
                    tickets.NewTicket(
                        subject=f"Ten-message thread {index}",
                        message=tickets.NewMessage(body_text=prose.customer_body("Customer")),
                        requester_email=f"thread{index}-{setup.account_id}@example.org",
                        inbox_id=setup.inbox_ids[0],
                    ),
                )  # fmt: skip
                for turn in range(WEB_THREAD - 1):
                    agent = setup.agents[turn % len(setup.agents)]
                    body = prose.agent_body(agent[2]) if turn % 2 == 0 else prose.customer_body("C")
                    new = tickets.NewMessage(
                        body_text=body, agent_id=agent[0] if turn % 2 == 0 else None
                    )
                    tickets.add_message(uow, actor, opened.ticket.id, new)
                ids.append(opened.ticket.id)
    finally:
        services.close()
    return email, WEB_PASSWORD, ids


def _analyze(engine: Any) -> None:
    """PostgreSQL gets what autovacuum does soon after a bulk load: the statistics, and the
    visibility map, without which an index-only scan (a view's count) still reads every
    row's heap page (the web app's counts took twice as long before VACUUM).

    SQLite gets none: nothing in Frontdesk runs ANALYZE there, so the plans must hold
    without (bench/v3_seed.py analyses its own seed separately).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("SET statement_timeout = 0")  # minutes at 10,000,000
        autocommit.exec_driver_sql("VACUUM ANALYZE")


class _Plan:
    """The rows, generated lazily in table column order. Tickets spread over a year."""

    def __init__(
        self,
        setup: _Setup,
        first_ids: dict[str, int],
        tickets: int,
        messages: int,
        contacts: int,
        rng: random.Random,
    ) -> None:
        self.setup = setup
        self.first = first_ids
        self.count = tickets
        self.per_ticket = messages
        self.contact_count = contacts
        self.rng = rng
        self.prose = Prose(rng)
        self.now = now_ms()
        # per ticket: created, updated, requester index; filled by tickets()
        self.times: list[tuple[int, int, int]] = []

    def contacts(self) -> Iterator[Row]:
        account = self.setup.account_id
        created = self.now - 400 * DAY
        for i in range(self.contact_count):
            name = f"Customer {i}"
            email = f"customer{i}@example.org"
            yield (self.first["contacts"] + i, account, email, name, created)

    def tickets(self) -> Iterator[Row]:
        span = 365 * DAY
        rng, inboxes = self.rng, self.setup.inbox_ids
        for i in range(self.count):
            # ids ascend with creation time, as they do in a live system
            created = self.now - span + (span * i) // max(self.count, 1)
            updated = min(self.now, created + rng.randrange(0, 5 * DAY))
            requester = rng.randrange(self.contact_count)
            self.times.append((created, updated, requester))
            # drawn in the row's column order, so a seed gives the tickets it always gave
            ticket_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            subject = self.prose.subject()
            status = STATUSES[rng.randrange(len(STATUSES))]
            priority = PRIORITIES[rng.randrange(len(PRIORITIES))]
            yield (
                self.first["tickets"] + i,
                ticket_uuid,
                self.setup.account_id,
                i + 1,
                subject,
                status,
                priority,
                inboxes[i % len(inboxes)],
                self.first["contacts"] + requester,
                "",
                False,
                created,
                updated,
                updated,
                # the queue's order, as storage derives it on every write (written with the
                # row: an UPDATE of every ticket afterwards rewrote the whole table)
                PRIORITY_RANKS[priority],
            )

    def labels(self) -> Iterator[Row]:
        for i in range(self.count):
            if i % 3 == 0:
                picked = {LABELS[i % len(LABELS)], LABELS[(i // 7) % len(LABELS)]}
                for name in sorted(picked):
                    yield (self.first["tickets"] + i, name)

    def tags(self) -> Iterator[Row]:
        for i in range(self.count):
            if i % 2 == 0:
                yield (self.first["tickets"] + i, TAGS[(i // 2) % len(TAGS)])

    def assignees(self) -> Iterator[Row]:
        agents = self.setup.agents
        for i in range(self.count):
            if i % 10 < 7:  # seven tickets in ten have an agent
                yield (self.first["tickets"] + i, agents[i % len(agents)][0])

    def messages(self) -> Iterator[Row]:
        next_id = self.first["messages"]
        first_ticket, first_contact = self.first["tickets"], self.first["contacts"]
        account, agents, prose = self.setup.account_id, self.setup.agents, self.prose
        getrandbits = self.rng.getrandbits
        per_ticket = self.per_ticket
        for i, (created, updated, requester) in enumerate(self.times):
            customer = f"customer{requester}@example.org"
            name = f"Customer {requester}"
            for j in range(per_ticket):
                at = created + ((updated - created) * j) // max(per_ticket - 1, 1)
                agent_id, agent_email, agent_name = agents[(i + j) % len(agents)]
                # agent id, contact id, from address, from name, to address
                sender: tuple[int | None, int | None, str, str, str]
                if j % 2 == 0:  # the customer writes, an agent answers, and so on
                    extra = prose.rare_sentence(i) if j == 0 else ""
                    body = prose.customer_body(name, extra)
                    sender = (None, first_contact + requester, customer, name, "")
                else:
                    body = prose.agent_body(agent_name)
                    sender = (agent_id, None, agent_email, agent_name, customer)
                message_uuid = str(uuid.UUID(int=getrandbits(128), version=4))
                yield (
                    next_id,
                    message_uuid,
                    account,
                    first_ticket + i,
                    "external",
                    *sender,
                    "",
                    "",
                    body,
                    as_html(body),
                    at,
                )
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
    print(json.dumps(asdict(seeded) | {"api_key": "..."}, indent=2))


if __name__ == "__main__":
    main()
