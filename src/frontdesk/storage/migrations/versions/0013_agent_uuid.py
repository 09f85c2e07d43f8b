"""agents: a stable public UUID each (InboxOps names users by UUID)

`agents.uuid`, unique, set by the core for every new agent and filled here for existing
ones. Nullable at the database level only so that SQLite can add it without rebuilding
the table (a rebuild of a table others point at); every row has one after this.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 06:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("uuid", sa.String(36), nullable=True))
    conn = op.get_bind()
    agents = sa.table("agents", sa.column("id", sa.Integer()), sa.column("uuid", sa.String()))
    for (agent_id,) in conn.execute(sa.select(agents.c.id)).all():
        conn.execute(agents.update().where(agents.c.id == agent_id).values(uuid=str(uuid.uuid4())))
    op.create_index(op.f("ix_agents_uuid"), "agents", ["uuid"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_agents_uuid"), table_name="agents")
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("uuid")
