"""ticket version

A number raised by one on every change of a ticket's row, so that a client can tell the
ticket it read from the ticket as it is now: the native API sends it as the ETag and
refuses a change whose If-Match names an older one (412). Existing tickets start at 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends: SQLite keeps the table (and its search triggers).
    op.add_column("tickets", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("tickets", "version")  # SQLite 3.35 drops a plain column in place
