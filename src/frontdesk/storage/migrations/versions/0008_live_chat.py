"""live chat: conversations, chat sessions, messages, pages, tags, labels, cards, page filters

Conversations are website visitors (public id `V...`); sessions are the chats within one,
which chatStatistics counts; messages are numbered per conversation (`seq`), and taking
the next number locks the conversation row so that writers to one conversation take turns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    return _fk(table, "conversation_id", "chat_conversations")


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("visitor_name", sa.String(length=200), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("traffic_type", sa.String(length=300), nullable=False),
        sa.Column("search_engine", sa.String(length=40), nullable=False),
        sa.Column("referrer", sa.String(length=2000), nullable=True),
        sa.Column("browser", sa.String(length=200), nullable=False),
        sa.Column("os", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("exit_page", sa.String(length=2000), nullable=True),
        sa.Column("last_visit", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        _fk("chat_conversations", "account_id", "accounts"),
        _fk("chat_conversations", "agent_id", "agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_chat_conversations_public_id")),
    )
    op.create_index(
        "ix_chat_conversations_account_status",
        "chat_conversations",
        ["account_id", "status", "updated"],
    )
    op.create_table(
        "chat_sessions",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("started", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        _fk("chat_sessions", "account_id", "accounts"),
        _fk("chat_sessions", "agent_id", "agents"),
        _conversation_fk("chat_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    op.create_index(
        "ix_chat_sessions_account_started", "chat_sessions", ["account_id", "started", "id"]
    )
    op.create_index("ix_chat_sessions_conversation", "chat_sessions", ["conversation_id", "id"])
    op.create_table(
        "chat_messages",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("from_name", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("client_ref", sa.String(length=64), nullable=True),
        _fk("chat_messages", "account_id", "accounts"),
        _fk("chat_messages", "agent_id", "agents"),
        _conversation_fk("chat_messages"),
        _fk("chat_messages", "session_id", "chat_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "conversation_id", "seq", name=op.f("uq_chat_messages_conversation_id_seq")
        ),
        sa.UniqueConstraint(
            "conversation_id",
            "client_ref",
            name=op.f("uq_chat_messages_conversation_id_client_ref"),
        ),
    )
    op.create_index("ix_chat_messages_conversation", "chat_messages", ["conversation_id", "id"])
    op.create_index(
        "ix_chat_messages_session", "chat_messages", ["session_id", "sender", "created"]
    )
    op.create_table(
        "chat_pages",
        _id(),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        _conversation_fk("chat_pages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_pages")),
    )
    op.create_index("ix_chat_pages_conversation", "chat_pages", ["conversation_id", "id"])
    op.create_table(
        "chat_tags",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        _conversation_fk("chat_tags"),
        sa.PrimaryKeyConstraint("conversation_id", "type", "tag", name=op.f("pk_chat_tags")),
    )
    op.create_table(
        "chat_labels",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        _conversation_fk("chat_labels"),
        sa.PrimaryKeyConstraint("conversation_id", "label", name=op.f("pk_chat_labels")),
    )
    op.create_table(
        "chat_cards",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("data_id", sa.String(length=100), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        _conversation_fk("chat_cards"),
        sa.PrimaryKeyConstraint("conversation_id", "data_id", name=op.f("pk_chat_cards")),
    )
    op.create_table(
        "chat_page_filters",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("search_name", sa.String(length=200), nullable=False),
        sa.Column("search_filter", sa.String(length=2000), nullable=False),
        sa.Column("match_type", sa.String(length=16), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        _fk("chat_page_filters", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_page_filters")),
    )
    op.create_index("ix_chat_page_filters_account", "chat_page_filters", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_chat_page_filters_account", table_name="chat_page_filters")
    op.drop_table("chat_page_filters")
    op.drop_table("chat_cards")
    op.drop_table("chat_labels")
    op.drop_table("chat_tags")
    op.drop_index("ix_chat_pages_conversation", table_name="chat_pages")
    op.drop_table("chat_pages")
    op.drop_index("ix_chat_messages_session", table_name="chat_messages")
    op.drop_index("ix_chat_messages_conversation", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_index("ix_chat_sessions_conversation", table_name="chat_sessions")
    op.drop_index("ix_chat_sessions_account_started", table_name="chat_sessions")
    op.drop_table("chat_sessions")
    op.drop_index("ix_chat_conversations_account_status", table_name="chat_conversations")
    op.drop_table("chat_conversations")
