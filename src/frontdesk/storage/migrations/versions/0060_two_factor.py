"""two_factor: TOTP, recovery codes, passkeys; a session's sign-in stage; the owner's rule

Revision ID: 0060
Revises: 0057
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0057"
branch_labels = None
depends_on = None


def _owned(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f(f"fk_{table}_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f(f"fk_{table}_agent_id_agents")
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("require_two_factor", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("stage", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("challenge", sa.String(128), nullable=True))
    op.create_table(
        "agent_totp",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(300), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("confirmed", sa.BigInteger(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False, server_default="0"),
        *_owned("agent_totp"),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_totp")),
    )
    op.create_table(
        "agent_recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=True),
        *_owned("agent_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_recovery_codes")),
    )
    op.create_index("ix_agent_recovery_codes_agent", "agent_recovery_codes", ["agent_id"])
    op.create_table(
        "agent_passkeys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_used", sa.BigInteger(), nullable=True),
        *_owned("agent_passkeys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_agent_passkeys_credential_id")),
    )
    op.create_index("ix_agent_passkeys_agent", "agent_passkeys", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_agent_passkeys_agent", table_name="agent_passkeys")
    op.drop_table("agent_passkeys")
    op.drop_index("ix_agent_recovery_codes_agent", table_name="agent_recovery_codes")
    op.drop_table("agent_recovery_codes")
    op.drop_table("agent_totp")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("challenge")
        batch.drop_column("stage")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("require_two_factor")
