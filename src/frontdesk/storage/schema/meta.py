"""The schema. Timestamps are integer milliseconds since the epoch (UTC) on every backend.

Integers keep ordering and keyset cursors exact and identical on SQLite and PostgreSQL,
and every dialect prints its own date format from them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
)

# Stable constraint names so that one migration chain fits both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_N_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Stamp = BigInteger


def id_column() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def account_column() -> Column[int]:
    return Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False)
