"""The search index's objects exist at head, migration 0006 indexes rows that exist, and
PostgreSQL's search rows keep their ticket's account and archived state (0080)."""

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
from tests.core.helpers import message_ids, open_ticket

TRIGGERS = {
    "sqlite": {
        "ticket_search_ticket_added", "ticket_search_subject_changed",
        "ticket_search_ticket_removed", "ticket_search_message_added",
        "ticket_search_message_changed", "ticket_search_message_removed",
    },
    "postgresql": {
        "ticket_search_tickets_added", "ticket_search_subject_changed",
        "ticket_search_messages_added", "ticket_search_messages_changed",
        "ticket_search_messages_removed", "ticket_search_ticket_moved",
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


def _search_rows(engine: Engine, ticket_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Each ticket's (account, archived) as its search row says and as the ticket says."""
    query = text(
        "SELECT tickets.id, ticket_search.account_id, ticket_search.archived, "
        "tickets.account_id, tickets.archived_at IS NOT NULL "
        "FROM tickets JOIN ticket_search ON ticket_search.ticket_id = tickets.id "
        "WHERE tickets.id = ANY(:ids)"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"ids": ticket_ids}).all()
    for row in rows:
        assert (row[1], row[2]) == (row[3], row[4]), f"ticket {row[0]}'s search row lags"
    return {row[0]: (row[1], row[2]) for row in rows}


# PostgreSQL only: SQLite's FTS5 rows carry the document alone, and its search joins
# tickets (the test above holds each backend's design).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_search_rows_follow_account_and_archived_state(
    services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    """PostgreSQL's search rows carry their ticket's account and archived state (0080),
    which the search list filters on without reading tickets: every write keeps them."""
    from frontdesk.core import tickets
    from frontdesk.core.tickets.removal import delete_ticket
    from frontdesk.core.tickets.threads import merge, split

    engine = services.store.engine
    first, second, third = (open_ticket(tenant, subject=f"Row {i}") for i in range(3))
    ids = [first.id, second.id, third.id]
    assert _search_rows(engine, ids) == dict.fromkeys(ids, (tenant.id, False))
    with services.store.write() as uow:
        tickets.archive(uow, tenant.actor, first.id)
        merge(uow, tenant.actor, second.id, third.id)
    assert _search_rows(engine, ids)[first.id] == (tenant.id, True)
    moving = message_ids(tenant, third.id)[:1]
    with services.store.write() as uow:
        tickets.unarchive(uow, tenant.actor, first.id)
        moved = split(uow, tenant.actor, third.id, moving)
    split_id = moved.new_ticket.id
    assert _search_rows(engine, [*ids, split_id])[first.id] == (tenant.id, False)
    assert _search_rows(engine, [split_id]) == {split_id: (tenant.id, False)}
    # Any writer, not only the core: a ticket moved to another account by hand.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE tickets SET account_id = :a WHERE id = :t"),
            {"a": other_tenant.id, "t": first.id},
        )
    assert _search_rows(engine, [first.id]) == {first.id: (other_tenant.id, False)}
    with services.store.write() as uow:
        delete_ticket(uow, tenant.actor, second.id)
    assert second.id not in _search_rows(engine, ids)
