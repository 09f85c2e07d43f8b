"""Migrations 0012 and 0013 fill what existing rows lack, on both databases: conversations
that predate the browser proof count as verified, and every existing agent gets its own
UUID."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from frontdesk.storage.migrate import upgrade
from tests.conftest import _pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('migrate') / 'db.sqlite'}")
        yield engine
        engine.dispose()
        return
    for url in _pg_database():
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        yield engine
        engine.dispose()


def test_existing_rows_are_filled_in(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0008")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, public_id, ticket_seq, created)"
                " VALUES (1, 'A', 'w1', 0, 5)"
            )
        )
        for n in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO agents (account_id, name, email, role, groups, is_back_office,"
                    " created) VALUES (1, :name, :email, 'agent', '', false, 7)"
                ),
                {"name": f"A{n}", "email": f"a{n}@example.org"},
            )
        conn.execute(
            text(
                "INSERT INTO chat_conversations (account_id, public_id, secret_hash, status,"
                " last_seq, traffic_type, search_engine, browser, os, last_visit, created,"
                " updated) VALUES (1, 'V1', 'h', 'new', 0, 'Direct', '', '', '', 9, 1234, 9)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        uuids = [row[0] for row in conn.execute(text("SELECT uuid FROM agents ORDER BY id"))]
        verified = conn.execute(text("SELECT verified FROM chat_conversations")).scalar_one()
    assert len(uuids) == 3 and len(set(uuids)) == 3
    assert all(value and len(value) == 36 for value in uuids)
    assert verified == 1234  # made by the old widget: taken as verified at its creation


def test_saved_notification_settings_get_the_sla_kinds_on(empty_engine: Engine) -> None:
    """0077: an agent who saved their settings before the SLA kinds existed has them on in
    the bell, and by mail unless they had turned every mail off; what they had chosen
    stays as it was."""
    upgrade(empty_engine, "0072")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, public_id, ticket_seq, created)"
                " VALUES (1, 'A', 'w1', 0, 5)"
            )
        )
        for n, email in ((1, ""), (2, "assigned")):
            conn.execute(
                text(
                    "INSERT INTO agents (id, account_id, uuid, name, email, role, groups,"
                    " is_back_office, created) VALUES (:n, 1, :uuid, 'A', :address, 'agent',"
                    " '', false, 7)"
                ),
                {
                    "n": n,
                    "uuid": f"00000000-0000-4000-8000-00000000000{n}",
                    "address": f"a{n}@example.org",
                },
            )
            conn.execute(
                text(
                    "INSERT INTO notification_settings (agent_id, account_id, web, email,"
                    " delivery, updated) VALUES (:n, 1, 'assigned,mention', :email, 'instant', 7)"
                ),
                {"n": n, "email": email},
            )
    upgrade(empty_engine, "0077")
    assert _saved_kinds(empty_engine) == [
        ("assigned,mention,sla_breach,sla_warning", ""),  # every mail off: it stays off
        ("assigned,mention,sla_breach,sla_warning", "assigned,sla_breach,sla_warning"),
    ]


def _saved_kinds(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT web, email FROM notification_settings ORDER BY agent_id")
        ).all()
    return [(row.web, row.email) for row in rows]


def test_saved_notification_settings_get_the_failed_reply_kind_on(empty_engine: Engine) -> None:
    """0079: the same for `mail_failed` (a reply that bounced): on in the bell, by mail
    unless every mail was off, and nothing else changed."""
    upgrade(empty_engine, "0078")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, public_id, ticket_seq, created)"
                " VALUES (1, 'A', 'w1', 0, 5)"
            )
        )
        for n, web, email in ((1, "mention", ""), (2, "", "assigned,sla_breach")):
            conn.execute(
                text(
                    "INSERT INTO agents (id, account_id, uuid, name, email, role, groups,"
                    " is_back_office, created) VALUES (:n, 1, :uuid, 'A', :address, 'agent',"
                    " '', false, 7)"
                ),
                {"n": n, "uuid": f"00000000-0000-4000-8000-00000000000{n}",
                 "address": f"a{n}@example.org"},
            )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO notification_settings (agent_id, account_id, web, email,"
                    " delivery, updated) VALUES (:n, 1, :web, :email, 'daily', 7)"
                ),
                {"n": n, "web": web, "email": email},
            )
    upgrade(empty_engine)
    assert _saved_kinds(empty_engine) == [
        ("mail_failed,mention", ""),  # every mail off: it stays off
        ("mail_failed", "assigned,mail_failed,sla_breach"),
    ]


def test_existing_custom_fields_become_text_fields(empty_engine: Engine) -> None:
    """0078: a field defined before fields had types is a text field without options, and
    the values tickets hold in it stay as they were."""
    upgrade(empty_engine, "0077")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, public_id, ticket_seq, created)"
                " VALUES (1, 'A', 'w1', 0, 5)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO custom_fields (id, account_id, name, created)"
                " VALUES (1, 1, 'Order number', 5)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        row = conn.execute(text("SELECT name, field_type, options FROM custom_fields")).one()
    assert tuple(row) == ("Order number", "text", "")
