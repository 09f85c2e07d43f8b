"""The search index's objects exist at head, and migration 0006 indexes rows that exist."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from frontdesk.services import Services
from frontdesk.storage.db import normalise_url
from frontdesk.storage.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, Tenant
from tests.core.helpers import open_ticket

TRIGGERS = {
    "sqlite": {
        "ticket_search_ticket_added", "ticket_search_subject_changed",
        "ticket_search_ticket_removed", "ticket_search_message_added",
        "ticket_search_message_changed", "ticket_search_message_removed",
    },
    "postgresql": {
        "ticket_search_tickets_added", "ticket_search_subject_changed",
        "ticket_search_messages_added", "ticket_search_messages_changed",
        "ticket_search_messages_removed",
    },
}  # fmt: skip


def _triggers(engine: Engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text(query))}


def test_search_table_and_triggers_exist_at_head(services: Services, tenant: Tenant) -> None:
    # A later migration that rebuilds tickets or messages (SQLite batch mode copies and
    # drops the table) would drop these triggers silently: this is what notices.
    engine = services.store.engine
    assert TRIGGERS[engine.dialect.name] <= _triggers(engine)
    # And they fire: a ticket opened now is in the index by its subject.
    word = f"zebra{tenant.tag}"
    ticket = open_ticket(tenant, subject=f"Lost {word}")
    assert _search(engine, word) == [ticket.id]


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the session's kind, for a migration run of its own."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"frontdesk_fresh_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _search(engine: Engine, word: str) -> list[int]:
    if engine.dialect.name == "sqlite":
        query = "SELECT rowid FROM ticket_search WHERE ticket_search MATCH :q"
    else:
        query = "SELECT ticket_id FROM ticket_search WHERE document @@ to_tsquery('simple', :q)"
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(query), {"q": word})]


def test_the_migration_indexes_existing_rows(fresh_url: str) -> None:
    engine = create_engine(normalise_url(fresh_url))
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, name, public_id, ticket_seq, created) "
                    "VALUES (1, 'Old', 'wold', 1, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, uuid, account_id, number, subject, status, priority, "
                    "notes, force_closed, created, updated, latest_activity) VALUES "
                    "(7, :u, 1, 1, 'Lost luggage', 'new', 'normal', '', false, 0, 0, 0)"
                ),
                {"u": str(uuid.uuid4())},
            )
            for i, (kind, body) in enumerate(
                [("external", "My suitcase never arrived"), ("log", "Status hedgehog")]
            ):
                conn.execute(
                    text(
                        "INSERT INTO messages (uuid, account_id, ticket_id, kind, to_addrs, "
                        "cc_addrs, bcc_addrs, body_text, body_html, created) "
                        "VALUES (:u, 1, 7, :k, '', '', '', :b, '', :c)"
                    ),
                    {"u": str(uuid.uuid4()), "k": kind, "b": body, "c": i},
                )
        upgrade(engine)
        assert _search(engine, "luggage") == [7]
        assert _search(engine, "suitcase") == [7]
        assert _search(engine, "hedgehog") == []  # log lines are not searched
    finally:
        engine.dispose()


def _distinct_words(count: int, prefix: str) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = (
        prefix + letters[i % 26] + letters[(i // 26) % 26] + letters[(i // 676) % 26]
        + letters[(i // 17576) % 26]
        for i in range(count)
    )  # fmt: skip
    return " ".join(words)


def test_a_ticket_too_big_to_index_still_takes_messages(services: Services) -> None:
    """PostgreSQL's tsvector holds 1 MB of words: a message that does not fit is left out
    of the index (SQLite's FTS5 has no such limit), but it is never refused."""
    from frontdesk.core import tickets
    from frontdesk.core.identity import accounts
    from frontdesk.core.shared.records import ALL_SCOPES, Actor
    from frontdesk.core.tickets import NewMessage, NewTicket

    with services.store.write() as uow:
        account = accounts.create_account(uow, "Big")
        actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
        ticket = tickets.open_ticket(
            uow, actor, NewTicket(subject="Huge", message=NewMessage(body_text="ocelot"))
        ).ticket
    for prefix in ("q", "z", "k"):  # ~650 KB of words each: two overfill a tsvector
        with services.store.write() as uow:
            body = _distinct_words(130_000, prefix)
            tickets.add_message(uow, actor, ticket.id, NewMessage(body_text=body))
    with services.store.read() as uow:
        assert uow.tickets.count_messages(ticket.id) == 4
    engine = services.store.engine
    assert ticket.id in _search(engine, "ocelot")
    assert ticket.id in _search(engine, "qaaaa")
    # the second and third messages did not fit, on PostgreSQL only
    assert (ticket.id in _search(engine, "kaaaa")) is (engine.dialect.name == "sqlite")
