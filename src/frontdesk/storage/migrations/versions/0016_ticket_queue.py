"""the agents' queue: read marks, the account's labels, priority order, queue indexes

- ticket_reads: when each agent last read each ticket (unread = the customer wrote since).
- account_labels: the labels each account uses, filled from ticket_labels here and kept
  by storage from then on.
- tickets.priority_rank: the priority as a number (low 0, normal 1, high 2, urgent 3).
- partial indexes on live tickets for the queue's sorts (activity, created, priority) and
  for counting an inbox's tickets by status.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LIVE = sa.text("archived_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "ticket_reads",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_ticket_reads_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_reads_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("agent_id", "ticket_id", name=op.f("pk_ticket_reads")),
    )
    op.create_table(
        "account_labels",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_labels_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "name", name=op.f("pk_account_labels")),
    )
    op.execute(
        "INSERT INTO account_labels (account_id, name) SELECT DISTINCT t.account_id, l.name "
        "FROM ticket_labels l JOIN tickets t ON t.id = l.ticket_id"
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="1")
        )
    op.execute(
        "UPDATE tickets SET priority_rank = CASE priority WHEN 'low' THEN 0 WHEN 'high' THEN 2 "
        "WHEN 'urgent' THEN 3 ELSE 1 END"
    )
    for name, columns in (
        ("ix_tickets_queue_activity", ["account_id", "latest_activity", "id"]),
        ("ix_tickets_queue_created", ["account_id", "created", "id"]),
        ("ix_tickets_queue_priority", ["account_id", "priority_rank", "latest_activity", "id"]),
        ("ix_tickets_queue_inbox", ["account_id", "inbox_id", "status"]),
    ):
        op.create_index(name, "tickets", columns, sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    for name in (
        "ix_tickets_queue_inbox",
        "ix_tickets_queue_priority",
        "ix_tickets_queue_created",
        "ix_tickets_queue_activity",
    ):
        op.drop_index(name, "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("priority_rank")
    op.drop_table("account_labels")
    op.drop_table("ticket_reads")
