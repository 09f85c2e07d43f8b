"""The Alembic chain and the table definitions describe the same schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from frontdesk.services import Services
from frontdesk.storage.migrate import current_revision, head_revision, upgrade
from frontdesk.storage.tables import metadata


def test_models_and_migrations_agree(services: Services) -> None:
    with services.store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_database_is_at_head_and_upgrade_is_idempotent(services: Services) -> None:
    engine = services.store.engine
    assert current_revision(engine) == head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
