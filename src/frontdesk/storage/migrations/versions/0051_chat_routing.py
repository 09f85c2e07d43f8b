"""chat_routing: how long an account offers a waiting chat to one agent

Revision ID: 0051
Revises: 0050
Create Date: 2026-11-24 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_routing",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("offer_seconds", sa.Integer(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_chat_routing_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_chat_routing")),
    )


def downgrade() -> None:
    op.drop_table("chat_routing")
