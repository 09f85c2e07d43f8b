"""field_types: a custom field has a type (text, multiline, number, date, checkbox,
dropdown) and a dropdown its options; every existing field becomes text

Revision ID: 0078
Revises: 0077
Create Date: 2026-11-24 17:40:00.000000

Values stay strings in ticket_fields; the type decides which strings a field accepts
(core/tickets/field_types.py). The server default makes every existing row text, which
accepts every value it holds already.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custom_fields") as batch:
        batch.add_column(
            sa.Column("field_type", sa.String(16), nullable=False, server_default="text")
        )
        batch.add_column(sa.Column("options", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("custom_fields") as batch:
        batch.drop_column("options")
        batch.drop_column("field_type")
