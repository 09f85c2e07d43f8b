"""The Alembic chain and the table definitions describe the same schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from frontdesk.services import Services
from frontdesk.storage.migrate import current_revision, head_revision, upgrade
from frontdesk.storage.tables import SEARCH_TABLES, metadata


def _described_by_models(name: str | None, type_: str, _parent: object) -> bool:
    """Everything but the search tables, which only raw DDL in 0006 can describe."""
    return not (type_ == "table" and name in SEARCH_TABLES)


def test_models_and_migrations_agree(services: Services) -> None:
    with services.store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _described_by_models}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_database_is_at_head_and_upgrade_is_idempotent(services: Services) -> None:
    engine = services.store.engine
    assert current_revision(engine) == head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
