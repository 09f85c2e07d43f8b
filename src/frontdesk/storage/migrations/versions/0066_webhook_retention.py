"""webhook_retention: an index for the sweep that deletes old finished deliveries

Revision ID: 0066
Revises: 0063
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0066"
down_revision = "0063"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_finished", "webhook_deliveries", ["status", "last_attempt"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_finished", table_name="webhook_deliveries")
