"""The schema as one namespace: `from frontdesk.storage import tables as t; t.tickets`.

Timestamps are integer milliseconds since the epoch (UTC) on every backend: integers keep
ordering and keyset cursors exact and identical on SQLite and PostgreSQL, and every dialect
prints its own date format from them. The tables themselves are defined per area in
`storage/schema/`; they all share `metadata`, which the migrations must match.
"""

from frontdesk.storage.schema.automation import (
    idempotency_keys,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from frontdesk.storage.schema.chat import (
    agent_chat_status,
    agent_tabs,
    chat_cards,
    chat_conversations,
    chat_labels,
    chat_messages,
    chat_page_filters,
    chat_pages,
    chat_routing,
    chat_sessions,
    chat_settings,
    chat_tags,
)
from frontdesk.storage.schema.contacts import contacts
from frontdesk.storage.schema.csat import csat_settings, csat_surveys
from frontdesk.storage.schema.events import events
from frontdesk.storage.schema.identity import (
    accounts,
    agent_inboxes,
    agent_passkeys,
    agent_recovery_codes,
    agent_totp,
    agents,
    credentials,
    inboxes,
    password_resets,
    portal_links,
    portal_sessions,
    signin_attempts,
    web_sessions,
)
from frontdesk.storage.schema.mail import (
    inbox_imap,
    inbox_oauth,
    inbox_relays,
    mail_receipts,
    outbox,
)
from frontdesk.storage.schema.meta import Stamp, metadata
from frontdesk.storage.schema.notify import notification_settings, notifications
from frontdesk.storage.schema.rules import agent_capacity, inbox_assignment, rule_firings, rules
from frontdesk.storage.schema.sla import sla_calendars, sla_policies, ticket_sla
from frontdesk.storage.schema.tickets import (
    SEARCH_TABLES,
    account_labels,
    attachments,
    canned_responses,
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
    "agent_capacity",
    "agent_chat_status",
    "agent_inboxes",
    "agent_passkeys",
    "agent_recovery_codes",
    "agent_tabs",
    "agent_totp",
    "agents",
    "attachments",
    "canned_responses",
    "categories",
    "chat_cards",
    "chat_conversations",
    "chat_labels",
    "chat_messages",
    "chat_page_filters",
    "chat_pages",
    "chat_routing",
    "chat_sessions",
    "chat_settings",
    "chat_tags",
    "contacts",
    "credentials",
    "csat_settings",
    "csat_surveys",
    "custom_fields",
    "departments",
    "drafts",
    "events",
    "idempotency_keys",
    "inbox_assignment",
    "inbox_imap",
    "inbox_oauth",
    "inbox_relays",
    "inboxes",
    "mail_receipts",
    "messages",
    "metadata",
    "notification_settings",
    "notifications",
    "outbox",
    "password_resets",
    "portal_links",
    "portal_sessions",
    "rule_firings",
    "rules",
    "signin_attempts",
    "sla_calendars",
    "sla_policies",
    "ticket_assignees",
    "ticket_fields",
    "ticket_labels",
    "ticket_links",
    "ticket_reads",
    "ticket_sla",
    "ticket_tags",
    "tickets",
    "web_sessions",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
]
