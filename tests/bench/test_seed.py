"""The bench seeder (bench/seed.py) on both databases: what it loads is what the schema
would hold had the rows come through any writer, indexes and search documents included."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from bench.seed import WEB_THREADS, seed
from bench.text import expected_hits
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets.records import TicketQuery
from frontdesk.core.tickets.search import find_tickets
from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from frontdesk.storage.tickets.repo import PRIORITY_RANKS

TICKETS, MESSAGES = 2_000, 2


def _indexes(engine: Engine) -> list[tuple[str, str]]:
    if engine.dialect.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    with engine.connect() as conn:
        return sorted((row[0], row[1] or "") for row in conn.execute(text(query)))


def test_a_seed_leaves_every_index_and_finds_its_rare_words(
    settings: Settings, services: Services
) -> None:
    # On PostgreSQL the load drops the bulk tables' secondary indexes and builds them again
    # in its transaction: the same definitions must come back, and the search triggers must
    # still have filled every document.
    before = _indexes(services.store.engine)
    seeded = seed(settings, TICKETS, MESSAGES, batch=500)
    assert _indexes(services.store.engine) == before
    assert (seeded.tickets, seeded.messages) == (TICKETS, TICKETS * MESSAGES)
    actor = Actor(account_id=seeded.account_id, label="test", scopes=ALL_SCOPES)
    with services.store.read() as uow:
        for word in ("zeppelin", "marzipan"):
            found = find_tickets(uow, actor, TicketQuery(words=(word,)), offset=0, limit=1)
            assert found.total == expected_hits(word, TICKETS) > 0, word
        ranks = uow.conn.execute(
            select(t.tickets.c.priority, t.tickets.c.priority_rank, func.count())
            .where(t.tickets.c.account_id == seeded.account_id)
            .group_by(t.tickets.c.priority, t.tickets.c.priority_rank)
        ).all()
    # each priority has the one rank the queue orders by, and all four occur
    assert sorted((priority, rank) for priority, rank, _count in ranks) == sorted(
        PRIORITY_RANKS.items()
    )
    assert sum(count for *_, count in ranks) == TICKETS + WEB_THREADS  # and the web agent's
