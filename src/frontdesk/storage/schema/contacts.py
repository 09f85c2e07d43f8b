"""Contacts: an account's customers."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    String,
    Table,
    UniqueConstraint,
    func,
)

from frontdesk.storage.schema.meta import Stamp, account_column, id_column, metadata

contacts = Table(
    "contacts",
    metadata,
    id_column(),
    account_column(),
    Column("email", String(320), nullable=False),
    Column("name", String(300)),
    Column("phone", String(40)),
    Column("company", String(200)),
    Column("external_id", String(200)),
    Column("created", Stamp, nullable=False),
    UniqueConstraint("account_id", "email"),
)
# Contacts are looked up by address case-insensitively (every ticket a customer opens, the
# ImBox fromEmail filter); without this each lookup scans the account's contacts (0004).
# `email` itself is included so that SQLite 3.40 sees the index as covering a lookup of
# ids, or it prefers the unique (account_id, email) index and scans it.
Index(
    "ix_contacts_account_email_lower",
    contacts.c.account_id,
    func.lower(contacts.c.email),
    contacts.c.email,
)
