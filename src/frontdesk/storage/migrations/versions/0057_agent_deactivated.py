"""agents: when an admin deactivated the agent (no sign-in, no session, kept in history)

Revision ID: 0057
Revises: 0054
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0057"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("deactivated", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("deactivated")
