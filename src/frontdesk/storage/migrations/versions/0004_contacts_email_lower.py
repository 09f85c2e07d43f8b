"""contacts by lower-cased address

Contacts are found by address case-insensitively: for every ticket a customer opens
(twice per ImBox insertTicket) and for the ImBox listTickets fromEmail filter. Without an
index on lower(email) each lookup scanned the account's contacts: 8 ms per lookup on
PostgreSQL with 25,000 contacts, half of an insertTicket. `email` is in the index too, so
that SQLite 3.40 sees it as covering a lookup of ids (else it scans the unique index).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 06:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_contacts_account_email_lower",
        "contacts",
        ["account_id", sa.text("lower(email)"), "email"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_account_email_lower", table_name="contacts")
