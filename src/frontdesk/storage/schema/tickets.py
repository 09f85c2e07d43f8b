"""Tickets, their details, messages and attachments; the taxonomy; the search objects."""

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
    text,
)

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata


def _named(name: str) -> Table:
    return Table(
        name,
        metadata,
        id_column(),
        account_column(),
        Column("name", String(200), nullable=False),
        Column("created", Stamp, nullable=False),
        UniqueConstraint("account_id", "name"),
    )


categories = _named("categories")
departments = _named("departments")
# A custom field's type (core FieldType) and, for a dropdown, its options in order, one a
# line (an option is one line of at most 200 characters; core/tickets/field_types.py).
custom_fields = Table(
    "custom_fields",
    metadata,
    id_column(),
    account_column(),
    Column("name", String(200), nullable=False),
    Column("created", Stamp, nullable=False),
    Column("field_type", String(16), nullable=False, server_default="text"),
    Column("options", Text, nullable=False, server_default=""),
    UniqueConstraint("account_id", "name"),
)


tickets = Table(
    "tickets",
    metadata,
    id_column(),
    Column("uuid", String(36), nullable=False, unique=True),
    account_column(),
    Column("number", Integer, nullable=False),
    Column("subject", String(1000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("category_id", Integer, ForeignKey("categories.id")),
    Column("department_id", Integer, ForeignKey("departments.id")),
    Column("inbox_id", Integer, ForeignKey("inboxes.id")),
    Column("requester_id", Integer, ForeignKey("contacts.id")),
    Column("notes", Text, nullable=False, default=""),
    Column("archived_at", Stamp),
    Column("merged_into_id", Integer, ForeignKey("tickets.id")),
    Column("force_closed", Boolean, nullable=False, default=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    Column("latest_activity", Stamp, nullable=False),
    Column("client_last_replied", Stamp),
    Column("client_last_read", Stamp),
    # Raised by one on every change of the row: the native API's ETag, and If-Match (0009).
    Column("version", Integer, nullable=False, server_default="1"),
    # 0016: the priority as a number (low 0 .. urgent 3) so the queue can sort and page by
    # it; storage derives it from `priority` on every write.
    Column("priority_rank", Integer, nullable=False, server_default="1"),
    UniqueConstraint("account_id", "number"),
    Index("ix_tickets_account_updated", "account_id", "updated", "id"),
    Index("ix_tickets_account_requester", "account_id", "requester_id", "status"),
    # Keyset listings walk an account's tickets in id order (0002). No index leads with
    # (account_id, latest_activity): without statistics SQLite would pick it to order the
    # open-ticket lookup and scan the whole account instead of one requester's tickets.
    Index("ix_tickets_account_id", "account_id", "id"),
    Index("ix_tickets_account_status", "account_id", "status", "id"),
    # One customer's unmerged tickets in id order, counted from the index alone (v3, 0003).
    Index(
        "ix_tickets_customer_list",
        "account_id",
        "requester_id",
        "id",
        sqlite_where=text("merged_into_id IS NULL"),
        postgresql_where=text("merged_into_id IS NULL"),
    ),
)

ticket_labels = Table(
    "ticket_labels",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Index("ix_ticket_labels_name", "name", "ticket_id"),
)

ticket_tags = Table(
    "ticket_tags",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Index("ix_ticket_tags_name", "name", "ticket_id"),
)

ticket_assignees = Table(
    "ticket_assignees",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Index("ix_ticket_assignees_agent", "agent_id", "ticket_id"),
)

ticket_links = Table(
    "ticket_links",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("linked_id", Integer, ForeignKey("tickets.id"), primary_key=True),
)

ticket_fields = Table(
    "ticket_fields",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("field_id", Integer, ForeignKey("custom_fields.id"), primary_key=True),
    Column("value", Text, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    id_column(),
    Column("uuid", String(36), nullable=False, unique=True),
    account_column(),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("agent_id", Integer, ForeignKey("agents.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("from_email", String(320)),
    Column("from_name", String(300)),
    Column("to_addrs", Text, nullable=False, default=""),
    Column("cc_addrs", Text, nullable=False, default=""),
    Column("bcc_addrs", Text, nullable=False, default=""),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("email_message_id", String(998)),
    Column("created", Stamp, nullable=False),
    # The customer a message was written to when that is not its ticket's requester: set
    # when a forced merge moves it onto another customer's ticket (0010).
    Column("audience_contact_id", Integer, ForeignKey("contacts.id")),
    # The sender could not be verified: the From address disagrees with what the receiving
    # side knows (the SMTP envelope, the operator's MTA's Authentication-Results) (0011).
    Column("unverified", Boolean, nullable=False, server_default=false()),
    Index("ix_messages_ticket", "ticket_id", "id"),
    Index("ix_messages_account_created", "account_id", "created", "id"),
)

attachments = Table(
    "attachments",
    metadata,
    id_column(),
    Column("uuid", String(36), nullable=False, unique=True),
    account_column(),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("original_name", String(255), nullable=False),
    Column("stored_name", String(80), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", Stamp, nullable=False),
    Index("ix_attachments_message", "message_id"),
    Index("ix_attachments_ticket", "ticket_id"),
)


# -- InboxOps search (issue 4, migration 0006) ------------------------------------------------

# Full-text search keeps one document per ticket (its subject and message bodies) in
# objects SQLAlchemy cannot describe: an FTS5 virtual table on SQLite (and the shadow
# tables SQLite keeps for it), a tsvector table with a GIN index on PostgreSQL, both kept
# in step by triggers. Migration 0006 alone creates them; the models-versus-migrations
# check leaves exactly these table names out (tests/storage/test_migrations.py), and
# tests/dialects/inboxops/test_search_schema.py checks that they and their triggers exist.
SEARCH_TABLES = frozenset(
    {"ticket_search"}
    | {f"ticket_search_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")}
)

# The inbox list (archived tickets hidden) filtered by status and priority, and its total
# counted from the index alone: without it, counting means reading every ticket's row.
Index(
    "ix_tickets_inbox",
    tickets.c.account_id,
    tickets.c.status,
    tickets.c.priority,
    tickets.c.id,
    sqlite_where=text("archived_at IS NULL"),
    postgresql_where=text("archived_at IS NULL"),
)


# Threading and Message-ID lookups: a reply's In-Reply-To / References name messages of
# the same account that Frontdesk received or sent.
Index(
    "ix_messages_account_email_message_id",
    messages.c.account_id,
    messages.c.email_message_id,
)


# -- the agents' queue in the web app (issue 13, migration 0016) -----------------------------

# When each agent last read each ticket: a ticket whose customer wrote after that is
# unread for that agent.
ticket_reads = Table(
    "ticket_reads",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("read_at", Stamp, nullable=False),
)

# The labels an account uses, for its label views: kept by storage whenever a ticket's
# labels are written (reading them off ticket_labels would visit every labelled ticket).
account_labels = Table(
    "account_labels",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
)

# The queue's sorts, newest first, each with the id as the last key of its keyset cursor.
# Partial (live tickets only), so that no query that does not say `archived_at IS NULL`
# can pick them: SQLite, which has no statistics here, would otherwise use the activity
# order to look up one requester's open ticket by scanning the account.
_LIVE = text("archived_at IS NULL")
Index(
    "ix_tickets_queue_activity",
    tickets.c.account_id,
    tickets.c.latest_activity,
    tickets.c.id,
    sqlite_where=_LIVE,
    postgresql_where=_LIVE,
)
Index(
    "ix_tickets_queue_created",
    tickets.c.account_id,
    tickets.c.created,
    tickets.c.id,
    sqlite_where=_LIVE,
    postgresql_where=_LIVE,
)
Index(
    "ix_tickets_queue_priority",
    tickets.c.account_id,
    tickets.c.priority_rank,
    tickets.c.latest_activity,
    tickets.c.id,
    sqlite_where=_LIVE,
    postgresql_where=_LIVE,
)
Index(
    "ix_tickets_queue_inbox",
    tickets.c.account_id,
    tickets.c.inbox_id,
    tickets.c.status,
    sqlite_where=_LIVE,
    postgresql_where=_LIVE,
)


# An agent's unsent reply or note, saved as they type (issue 13, migration 0018).
drafts = Table(
    "drafts",
    metadata,
    Column("agent_id", Integer, ForeignKey("agents.id"), primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    account_column(),
    Column("body", Text, nullable=False),
    Column("to_addrs", Text, nullable=False),
    Column("cc_addrs", Text, nullable=False),
    Column("bcc_addrs", Text, nullable=False),
    Column("updated", Stamp, nullable=False),
)

# Replies kept for reuse, one shortcut word each per account (issue 15, migration 0049).
canned_responses = Table(
    "canned_responses",
    metadata,
    id_column(),
    account_column(),
    Column("shortcut", String(30), nullable=False),
    Column("body", Text, nullable=False),
    Column("created", Stamp, nullable=False),
    Column("updated", Stamp, nullable=False),
    UniqueConstraint("account_id", "shortcut"),
)
