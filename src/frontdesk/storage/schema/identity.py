"""Accounts, their agents and inboxes, and credentials."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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
    # 0060: the owner requires every agent to sign in with a second factor
    Column("require_two_factor", Boolean, nullable=False, server_default=false()),
    # 0073: the business's time zone and language ("": the installation's defaults), and
    # its logo's file in the blob store (sha256 name) with the type its bytes showed.
    Column("time_zone", String(64), nullable=False, server_default=""),
    Column("language", String(8), nullable=False, server_default=""),
    Column("logo_blob", String(64)),
    Column("logo_type", String(32)),
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
    # 0057: when an admin deactivated the agent; a deactivated agent cannot sign in.
    Column("deactivated", Stamp),
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
    # 0073: appended to agents' replies mailed from the inbox, placeholders filled in
    Column("signature", Text),
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
    # 0061: the agent a personal token acts as (empty for account keys and customer tokens)
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Index("ix_credentials_agent", "agent_id"),
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
    # 0060: "" signed in; "verify" waits for the second factor; "enrol" must enrol one first
    Column("stage", String(8), nullable=False, server_default=""),
    # 0060: the WebAuthn challenge this browser was last given (one ceremony at a time)
    Column("challenge", String(128)),
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

# The customer portal (web/portal): a one-time sign-in link mailed to a contact, stored
# hashed, and the customer's browser sessions, kept apart from agents' web_sessions.
portal_links = Table(
    "portal_links",
    metadata,
    id_column(),
    account_column(),
    Column("contact_id", Integer, ForeignKey("contacts.id"), nullable=False),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("expires", Stamp, nullable=False),
    Column("used", Stamp),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    id_column(),
    account_column(),
    Column("contact_id", Integer, ForeignKey("contacts.id"), nullable=False),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("last_seen", Stamp, nullable=False),
    Column("expires", Stamp, nullable=False),
    Column("revoked", Stamp),
    Index("ix_portal_sessions_contact", "contact_id", "id"),
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


# -- two-factor sign-in (issue 17, migration 0060) ----------------------------------------------

# An agent's authenticator app. The shared secret must be read back to check a code, so it
# is sealed (services/sealing.py), not hashed; `confirmed` stays empty until the agent typed
# a first code; `last_step` is the newest 30-second step accepted, so a code works once.
agent_totp = Table(
    "agent_totp",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    account_column(),
    Column("secret", String(300), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("confirmed", Stamp),
    Column("last_step", Integer, nullable=False, server_default="0"),
)

# One-time codes for a lost phone: only a SHA-256 of each is kept; `used` spends one.
agent_recovery_codes = Table(
    "agent_recovery_codes",
    metadata,
    id_column(),
    account_column(),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("used", Stamp),
    Index("ix_agent_recovery_codes_agent", "agent_id"),
)

# A passkey or security key (WebAuthn): its credential id and public key, never a secret.
agent_passkeys = Table(
    "agent_passkeys",
    metadata,
    id_column(),
    account_column(),
    Column("agent_id", Integer, ForeignKey("agents.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("credential_id", String(1400), nullable=False, unique=True),  # base64url
    Column("public_key", Text, nullable=False),  # base64url COSE key
    Column("sign_count", BigInteger, nullable=False, server_default="0"),
    Column("created", Stamp, nullable=False),
    Column("last_used", Stamp),
    Index("ix_agent_passkeys_agent", "agent_id"),
)
