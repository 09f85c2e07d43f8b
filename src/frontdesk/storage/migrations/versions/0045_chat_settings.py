"""chat_settings: the widget's team name, offline inbox, colour, position and texts

Revision ID: 0045
Revises: 0036
Create Date: 2026-11-24 07:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_settings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("team_name", sa.String(100), nullable=True),
        sa.Column("offline_inbox_id", sa.Integer(), nullable=True),
        sa.Column("color", sa.String(7), nullable=True),
        sa.Column("position", sa.String(8), nullable=True),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_chat_settings_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_chat_settings")),
    )


def downgrade() -> None:
    op.drop_table("chat_settings")
