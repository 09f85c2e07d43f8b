"""chat_conversations.contact_id: the contact a chat's visitor is known to be

A conversation is anonymous until an agent (or an integration) says which contact the
visitor is; from then on it is among that contact's chats, moves with them when two
contacts are merged, and goes into their GDPR export and erasure (issue 18).

Revision ID: 0035
Revises: 0018
Create Date: 2026-11-24 07:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place, as 0010 does: batch mode would copy the whole table.
        op.execute(
            "ALTER TABLE chat_conversations ADD COLUMN contact_id INTEGER REFERENCES contacts (id)"
        )
    else:
        op.add_column(
            "chat_conversations",
            sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=True),
        )
    op.create_index(
        "ix_chat_conversations_contact",
        "chat_conversations",
        ["account_id", "contact_id", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_chat_conversations_contact", table_name="chat_conversations")
    with op.batch_alter_table("chat_conversations") as batch:
        batch.drop_column("contact_id")
