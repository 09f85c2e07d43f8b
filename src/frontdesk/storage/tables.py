"""The schema as one namespace: `from frontdesk.storage import tables as t; t.tickets`.

Timestamps are integer milliseconds since the epoch (UTC) on every backend: integers keep
ordering and keyset cursors exact and identical on SQLite and PostgreSQL, and every dialect
prints its own date format from them. The tables themselves are defined per area in
`storage/schema/`; they all share `metadata`, which the migrations must match.
"""

from frontdesk.storage.schema.chat import (
    chat_cards,
    chat_conversations,
    chat_labels,
    chat_messages,
    chat_page_filters,
    chat_pages,
    chat_sessions,
    chat_tags,
)
from frontdesk.storage.schema.contacts import contacts
from frontdesk.storage.schema.events import events
from frontdesk.storage.schema.identity import (
    accounts,
    agent_inboxes,
    agents,
    credentials,
    inboxes,
    password_resets,
    signin_attempts,
    web_sessions,
)
from frontdesk.storage.schema.mail import inbox_imap, mail_receipts, outbox
from frontdesk.storage.schema.meta import Stamp, metadata
from frontdesk.storage.schema.notify import notification_settings, notifications
from frontdesk.storage.schema.tickets import (
    SEARCH_TABLES,
    account_labels,
    attachments,
    categories,
    custom_fields,
    departments,
    drafts,
    messages,
    ticket_assignees,
    ticket_fields,
    ticket_labels,
    ticket_links,
    ticket_reads,
    ticket_tags,
    tickets,
)

__all__ = [
    "SEARCH_TABLES",
    "Stamp",
    "account_labels",
    "accounts",
    "agent_inboxes",
    "agents",
    "attachments",
    "categories",
    "chat_cards",
    "chat_conversations",
    "chat_labels",
    "chat_messages",
    "chat_page_filters",
    "chat_pages",
    "chat_sessions",
    "chat_tags",
    "contacts",
    "credentials",
    "custom_fields",
    "departments",
    "drafts",
    "events",
    "inbox_imap",
    "inboxes",
    "mail_receipts",
    "messages",
    "metadata",
    "notification_settings",
    "notifications",
    "outbox",
    "password_resets",
    "signin_attempts",
    "ticket_assignees",
    "ticket_fields",
    "ticket_labels",
    "ticket_links",
    "ticket_reads",
    "ticket_tags",
    "tickets",
    "web_sessions",
]
