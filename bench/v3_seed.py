"""Seed for the v3 customer API benchmark: one customer's 1,000 tickets among 100,000.

The bulk rows come from bench/seed.py (SQLAlchemy Core executemany). This script then
gives the account its categories and one portal customer, a contact with a customer
token, and hands that contact a random 1,000 of the tickets, spread over the whole id
range as in a live system, with set-based UPDATEs in batches. Their customer messages
move with them, so numUserReplies and openOrUnread have real rows to count; half of
the tickets count as read since their last change.

    python -m bench.v3_seed --tickets 100000 --customer-tickets 1000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, update

from bench.seed import Seeded, seed
from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import taxonomy
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t

CATEGORIES = ["Billing", "Technical", "Sales"]


@dataclass
class V3Seeded:
    base: Seeded
    contact_id: int
    customer_token: str
    customer_ticket_ids: list[int]
    seconds: float


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _analyze(engine: Engine) -> None:
    """Planner statistics. On SQLite inside a committed transaction: the engine begins one
    for every connection, and an ANALYZE that is rolled back leaves no statistics."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def seed_v3(
    settings: Settings, tickets: int, messages: int, customer_tickets: int, *, rng_seed: int = 5
) -> V3Seeded:
    started = time.perf_counter()
    base = seed(settings, tickets, messages)
    services = build_services(settings, migrate=False)
    actor = Actor(account_id=base.account_id, label="bench", scopes=ALL_SCOPES)
    with services.store.write() as uow:
        category_ids = [taxonomy.create_named(uow, actor, "category", n).id for n in CATEGORIES]
        contact = contacts.find_or_create_contact(
            uow, actor, ContactFields(email="portal.customer@example.org", name="Portal Customer")
        )
        token = credentials.issue_customer_token(uow, actor, contact.id).token
    ids = list(range(base.first_ticket_id, base.last_ticket_id + 1))
    chosen = sorted(random.Random(rng_seed).sample(ids, min(customer_tickets, len(ids))))
    tk, msg = t.tickets, t.messages
    with services.store.engine.begin() as conn:
        for index, category_id in enumerate(category_ids):
            conn.execute(
                update(tk)
                .where(tk.c.account_id == base.account_id, tk.c.id % len(category_ids) == index)
                .values(category_id=category_id)
            )
        for batch in _chunks(chosen, 500):
            conn.execute(update(tk).where(tk.c.id.in_(batch)).values(requester_id=contact.id))
            conn.execute(
                update(msg)
                .where(msg.c.ticket_id.in_(batch), msg.c.contact_id.is_not(None))
                .values(contact_id=contact.id, from_email=contact.email)
            )
        for batch in _chunks(chosen[::2], 500):  # half of them read since their last change
            conn.execute(update(tk).where(tk.c.id.in_(batch)).values(client_last_read=tk.c.updated))
    _analyze(services.store.engine)
    services.close()
    return V3Seeded(base, contact.id, token, chosen, round(time.perf_counter() - started, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=3, help="messages per ticket")
    parser.add_argument("--customer-tickets", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="default: SQLite in --data-dir")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/results/v3-data"))
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url).resolved()
    seeded = seed_v3(settings, args.tickets, args.messages, args.customer_tickets)
    summary = asdict(seeded)
    summary["customer_ticket_ids"] = len(seeded.customer_ticket_ids)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
