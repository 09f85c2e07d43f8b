"""outbox: indexes on message_id (lists of mail leave out what has not left yet) and on
the Message-ID (a bounce finds the mail it reports on)

Revision ID: 0047
Revises: 0046
Create Date: 2026-11-24 07:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_message", "outbox", ["message_id", "status"])
    op.create_index("ix_outbox_email_message_id", "outbox", ["account_id", "email_message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_email_message_id", table_name="outbox")
    op.drop_index("ix_outbox_message", table_name="outbox")
