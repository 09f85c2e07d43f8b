"""portal: customers' one-time sign-in links and their sessions (the customer portal)

- portal_links: a link mailed through the outbox to a contact; expiring, single use,
  stored hashed.
- portal_sessions: a customer's browser session, apart from agents' web_sessions.

Revision ID: 0063
Revises: 0061
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0063"
down_revision = "0061"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=True),
        _fk("portal_links", "account_id", "accounts"),
        _fk("portal_links", "contact_id", "contacts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("public_id", name=op.f("uq_portal_links_public_id")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.BigInteger(), nullable=True),
        _fk("portal_sessions", "account_id", "accounts"),
        _fk("portal_sessions", "contact_id", "contacts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_portal_sessions_public_id")),
    )
    op.create_index("ix_portal_sessions_contact", "portal_sessions", ["contact_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_contact", table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_table("portal_links")
