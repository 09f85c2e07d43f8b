"""agent_chat_status and agent_tabs: an agent's chosen chat status, chat limit, open tabs

Revision ID: 0050
Revises: 0049
Create Date: 2026-11-24 07:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_chat_status",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("chat_limit", sa.Integer(), nullable=True),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_chat_status_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_agent_chat_status_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_chat_status")),
    )
    op.create_table(
        "agent_tabs",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("tab", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_tabs_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_agent_tabs_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("agent_id", "tab", name=op.f("pk_agent_tabs")),
    )


def downgrade() -> None:
    op.drop_table("agent_tabs")
    op.drop_table("agent_chat_status")
