"""message audience

A forced merge of two customers' tickets moves the source customer's messages onto the
target customer's ticket; `audience_contact_id` keeps whom each was written to, so that
the target customer's portal (v3) does not show them. NULL: the ticket's own requester,
as every message before this migration.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; Alembic's batch mode would
        # copy the table instead, and lose the search triggers on it (0006).
        op.execute(
            "ALTER TABLE messages ADD COLUMN audience_contact_id INTEGER REFERENCES contacts (id)"
        )
        return
    op.add_column(
        "messages",
        sa.Column("audience_contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=True),
    )


def downgrade() -> None:
    # SQLite cannot drop a column with a reference in place: the table is copied, and the
    # search triggers of 0006 must then be created again (downgrade to 0005 and up).
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("audience_contact_id")
