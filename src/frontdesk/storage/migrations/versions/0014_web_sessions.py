"""web sign-in: sessions, password resets, failed sign-in attempts

- web_sessions: a signed-in browser; the cookie's secret is stored only as a SHA-256.
- password_resets: one-time, expiring links mailed through the outbox; stored hashed.
- signin_attempts: failed sign-ins and reset requests per address and per client IP,
  counted in the database so that the limits hold across server processes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.BigInteger(), nullable=True),
        _fk("web_sessions", "account_id", "accounts"),
        _fk("web_sessions", "agent_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("public_id", name=op.f("uq_web_sessions_public_id")),
    )
    op.create_index("ix_web_sessions_agent", "web_sessions", ["agent_id", "id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=True),
        _fk("password_resets", "account_id", "accounts"),
        _fk("password_resets", "agent_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("public_id", name=op.f("uq_password_resets_public_id")),
    )
    op.create_table(
        "signin_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_attempts")),
    )
    op.create_index("ix_signin_attempts_email", "signin_attempts", ["kind", "email", "created"])
    op.create_index("ix_signin_attempts_ip", "signin_attempts", ["kind", "ip", "created"])
    op.create_index("ix_signin_attempts_created", "signin_attempts", ["created"])


def downgrade() -> None:
    op.drop_table("signin_attempts")
    op.drop_table("password_resets")
    op.drop_table("web_sessions")
