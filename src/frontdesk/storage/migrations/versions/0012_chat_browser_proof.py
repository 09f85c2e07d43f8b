"""live chat: a conversation records when its widget proved it runs in a browser

`chat_conversations.verified` (epoch ms, null until proven): a visitor's chat enters the
agents' queue only from a verified conversation (docs/chat.md, "Flooding"). Conversations
that existed before this check are taken as verified: they were made by the old widget.
A plain ADD COLUMN, so SQLite does not rebuild the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chat_conversations", sa.Column("verified", sa.BigInteger(), nullable=True))
    op.execute("UPDATE chat_conversations SET verified = created")


def downgrade() -> None:
    with op.batch_alter_table("chat_conversations") as batch_op:
        batch_op.drop_column("verified")
