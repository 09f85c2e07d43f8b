"""mail: OAuth grants per inbox (XOAUTH2), an inbox's own outbound relay, IMAP login kind

Revision ID: 0054
Revises: 0052
Create Date: 2026-11-24 10:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0054"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_oauth",
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_url", sa.String(2000), nullable=False),
        sa.Column("client_id", sa.String(500), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(1000), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("access_expires", sa.BigInteger(), nullable=True),
        sa.Column("last_refreshed", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_inbox_oauth_inbox_id_inboxes")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_inbox_oauth_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_inbox_oauth")),
    )
    op.create_table(
        "inbox_relays",
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(16), nullable=False),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("username", sa.String(320), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_inbox_relays_inbox_id_inboxes")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_inbox_relays_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_inbox_relays")),
    )
    with op.batch_alter_table("inbox_imap") as batch:
        batch.add_column(
            sa.Column("auth", sa.String(16), nullable=False, server_default="password")
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_imap") as batch:
        batch.drop_column("auth")
    op.drop_table("inbox_relays")
    op.drop_table("inbox_oauth")
