"""csat: survey settings per inbox, and one satisfaction survey per solved ticket

Revision ID: 0067
Revises: 0066
Create Date: 2026-11-24 11:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csat_settings",
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_csat_settings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_csat_settings_inbox_id_inboxes")
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_csat_settings")),
    )
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("first_rated", sa.BigInteger(), nullable=True),
        sa.Column("rated", sa.BigInteger(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_csat_surveys_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_csat_surveys_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_surveys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_csat_surveys_ticket_id")),
    )
    op.create_index("ix_csat_surveys_account_rated", "csat_surveys", ["account_id", "rated"])


def downgrade() -> None:
    op.drop_index("ix_csat_surveys_account_rated", table_name="csat_surveys")
    op.drop_table("csat_surveys")
    op.drop_table("csat_settings")
