"""mail channel: IMAP settings per inbox, receipts of every inbound mail, Message-ID index

- inbox_imap: an inbox may fetch its mail from an IMAP mailbox (the password is write-only).
- mail_receipts: every mail that came in, with its raw bytes kept in the blob store; the
  unique (account_id, mail_key) makes redelivery a no-op, and mail that could not become a
  ticket stays here as 'quarantined' for admins.
- messages (account_id, email_message_id): threading by In-Reply-To / References.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_imap",
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(320), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_polled", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_inbox_imap_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_inbox_imap_inbox_id_inboxes")
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_inbox_imap")),
    )
    op.create_table(
        "mail_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mail_key", sa.String(998), nullable=False),
        sa.Column("email_message_id", sa.String(998), nullable=True),
        sa.Column("envelope_from", sa.String(320), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False, server_default=""),
        sa.Column("from_addr", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(1000), nullable=False, server_default=""),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_mail_receipts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_mail_receipts_inbox_id_inboxes")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_mail_receipts_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_mail_receipts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_receipts")),
        sa.UniqueConstraint(
            "account_id", "mail_key", name=op.f("uq_mail_receipts_account_id_mail_key")
        ),
    )
    op.create_index(
        "ix_mail_receipts_account_status", "mail_receipts", ["account_id", "status", "id"]
    )
    op.create_index(
        "ix_messages_account_email_message_id", "messages", ["account_id", "email_message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_email_message_id", table_name="messages")
    op.drop_index("ix_mail_receipts_account_status", table_name="mail_receipts")
    op.drop_table("mail_receipts")
    op.drop_table("inbox_imap")
