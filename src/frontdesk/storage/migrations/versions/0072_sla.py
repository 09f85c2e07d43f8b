"""sla: business-hours calendars, SLA policies and each ticket's stored clocks

Revision ID: 0072
Revises: 0068
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0072"
down_revision = "0068"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("holidays", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sla_calendars_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendars")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_sla_calendars_account_id_name")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("warn_minutes", sa.Integer(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sla_policies_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["sla_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_sla_calendars"),
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_sla_policies_inbox_id_inboxes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(
        "ix_sla_policies_account", "sla_policies", ["account_id", "position"], unique=False
    )
    op.create_table(
        "ticket_sla",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("due", sa.BigInteger(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("next_check", sa.BigInteger(), nullable=True),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_ticket_sla_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_sla_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_sla")),
    )
    op.create_index(
        "ix_ticket_sla_account_due", "ticket_sla", ["account_id", "due", "ticket_id"], unique=False
    )
    op.create_index("ix_ticket_sla_next_check", "ticket_sla", ["next_check"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_sla_next_check", table_name="ticket_sla")
    op.drop_index("ix_ticket_sla_account_due", table_name="ticket_sla")
    op.drop_table("ticket_sla")
    op.drop_index("ix_sla_policies_account", table_name="sla_policies")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
