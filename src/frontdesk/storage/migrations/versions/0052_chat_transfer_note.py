"""chat_transfer_note: a transfer's note for the agent taking the chat over

Revision ID: 0052
Revises: 0051
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row on either database.
    op.add_column("chat_messages", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_messages") as batch:
        batch.drop_column("note")
