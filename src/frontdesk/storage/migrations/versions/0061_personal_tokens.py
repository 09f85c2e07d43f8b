"""personal_tokens: a credential may belong to an agent (personal API tokens)

Revision ID: 0061
Revises: 0060
Create Date: 2026-11-24 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_credentials_agent_id_agents"), "agents", ["agent_id"], ["id"]
        )
        batch.create_index("ix_credentials_agent", ["agent_id"])


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_index("ix_credentials_agent")
        batch.drop_constraint(op.f("fk_credentials_agent_id_agents"), type_="foreignkey")
        batch.drop_column("agent_id")
