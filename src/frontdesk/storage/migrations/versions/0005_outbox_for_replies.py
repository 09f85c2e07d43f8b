"""outbox rows that can carry an agent reply

Agent replies (InboxOps sendEmail) go to several recipients with copies, an HTML part and
threading headers; the Message-ID is chosen when the row is queued so that a retry sends
the same one. Two indexes: one recipient's recent auto replies (the per-sender cap that
stops two auto-responders feeding each other) and a ticket's outgoing mail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("to_addrs", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("cc_addrs", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_html", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("email_message_id", sa.String(998), nullable=True))
        batch.add_column(sa.Column("in_reply_to", sa.String(998), nullable=True))
        batch.add_column(sa.Column("references", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("sent", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_outbox_account_to_kind_created",
        "outbox",
        ["account_id", "to_addr", "kind", "created"],
    )
    op.create_index("ix_outbox_ticket", "outbox", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_ticket", table_name="outbox")
    op.drop_index("ix_outbox_account_to_kind_created", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        for name in (
            "sent",
            "references",
            "in_reply_to",
            "email_message_id",
            "body_html",
            "cc_addrs",
            "to_addrs",
        ):
            batch.drop_column(name)
