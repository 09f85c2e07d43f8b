"""account_settings: an account's time zone, business language and logo; inbox signatures

Revision ID: 0073
Revises: 0072
Create Date: 2026-11-24 14:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("logo_blob", sa.String(64), nullable=True))
        batch.add_column(sa.Column("logo_type", sa.String(32), nullable=True))
    with op.batch_alter_table("inboxes") as batch:
        batch.add_column(sa.Column("signature", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inboxes") as batch:
        batch.drop_column("signature")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("logo_type")
        batch.drop_column("logo_blob")
        batch.drop_column("language")
        batch.drop_column("time_zone")
