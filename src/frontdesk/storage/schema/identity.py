"""Accounts, their agents and inboxes, and credentials."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

accounts = Table(
    "accounts",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("ticket_seq", Integer, nullable=False, default=0),
    Column("created", Stamp, nullable=False),
)

agents = Table(
    "agents",
    metadata,
    id_column(),
    account_column(),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("picture_url", String(2000)),
    Column("department", String(200)),
    Column("groups", Text, nullable=False, default=""),
    Column("is_back_office", Boolean, nullable=False, default=False),
    Column("password_hash", String(200)),
    Column("last_active", Stamp),
    Column("created", Stamp, nullable=False),
    # The agent's public id (InboxOps user ids, migration 0013): set for every agent by the
    # core; nullable only so that SQLite could add it without rebuilding the table.
    Column("uuid", String(36)),
    # 0015: the web app's language and time zone for this agent; empty follows the browser
    # (language) and the installation's default (time zone).
    Column("locale", String(16), nullable=False, server_default=""),
    Column("time_zone", String(64), nullable=False, server_default=""),
    UniqueConstraint("account_id", "email"),
    Index("ix_agents_uuid", "uuid", unique=True),
)

inboxes = Table(
    "inboxes",
    metadata,
    id_column(),
    account_column(),
    Column("name", String(200), nullable=False),
    # Globally unique: inbound mail is routed to an account by this address alone.
    Column("email", String(320), nullable=False, unique=True),
    Column("auto_reply", Text),
    Column("created", Stamp, nullable=False),
)

agent_inboxes = Table(
    "agent_inboxes",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id"), primary_key=True),
)


credentials = Table(
    "credentials",
    metadata,
    id_column(),
    account_column(),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    # The public half of a key, used to find the row; the secret is only stored hashed.
    Column("key_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    Column("scopes", Text, nullable=False, default=""),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("created", Stamp, nullable=False),
    Column("last_used", Stamp),
    Column("revoked", Stamp),
)


# -- the web app's sign-in (issue 13, migration 0014) -------------------------------------------

# A signed-in browser. The cookie carries `<public_id>.<secret>`: the public id finds the
# row, and only a SHA-256 of the secret is stored, compared in constant time.
web_sessions = Table(
    "web_sessions",
    metadata,
    id_column(),
    account_column(),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False, default=""),
    Column("ip", String(64), nullable=False, default=""),
    Column("created", Stamp, nullable=False),
    Column("last_seen", Stamp, nullable=False),
    Column("expires", Stamp, nullable=False),  # the absolute end, whatever the activity
    Column("revoked", Stamp),
    Index("ix_web_sessions_agent", "agent_id", "id"),
)

# A one-time link to choose a new password, mailed through the outbox; stored hashed.
password_resets = Table(
    "password_resets",
    metadata,
    id_column(),
    account_column(),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("expires", Stamp, nullable=False),
    Column("used", Stamp),
)

# Failed sign-ins and reset requests, by address and by client IP: the database is the one
# state every server process shares, so a limit counted here holds across all of them.
signin_attempts = Table(
    "signin_attempts",
    metadata,
    id_column(),
    Column("kind", String(16), nullable=False),  # signin | reset
    Column("email", String(320), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_signin_attempts_email", "kind", "email", "created"),
    Index("ix_signin_attempts_ip", "kind", "ip", "created"),
    Index("ix_signin_attempts_created", "created"),
)
