"""v3 customer listing index

One contact's unmerged tickets in id order (the v3 customer API lists them newest first,
at an offset, with a total). Without it both backends walk the whole account's id index
backwards and filter by requester, which costs the more the deeper the page. Partial
(merged tickets are never listed), so the total is counted from the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_customer_list",
            ["account_id", "requester_id", "id"],
            unique=False,
            sqlite_where=sa.text("merged_into_id IS NULL"),
            postgresql_where=sa.text("merged_into_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_customer_list")
