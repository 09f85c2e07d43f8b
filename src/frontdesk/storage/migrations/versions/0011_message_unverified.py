"""unverified senders

Mail whose From address disagrees with what the receiving side knows (the SMTP envelope
sender, the operator's MTA's SPF / DKIM / DMARC results) is kept but marked: the message
shows it in every view, and it is never appended to an open ticket by address alone.
Every message before this migration counts as verified, as it was treated.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 10:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("unverified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("messages", "unverified")  # SQLite 3.35 drops a plain column in place
