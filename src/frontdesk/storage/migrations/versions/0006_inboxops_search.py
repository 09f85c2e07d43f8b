"""inboxops search: full-text search over ticket subjects and message bodies

One search document per ticket: its subject and the bodies of its messages (replies and
internal notes; the system's log lines are left out), so that every word of a query may
be found anywhere in the ticket. The database keeps the documents in step by itself, with
triggers, so that every way a row is written (the core, a bulk import, a seeder) is
indexed in the same transaction, and rows that exist already are indexed here.

- SQLite: an FTS5 virtual table `ticket_search` whose rowid is the ticket id. A message
  appends its body to its ticket's document; a message that moves (merge, split), changes
  or goes rebuilds the documents of the tickets it left and joined.
- PostgreSQL: a table `ticket_search` (ticket_id, tsvector) with a GIN index. Statement
  triggers with transition tables append a whole batch of new messages in one UPDATE, and
  rebuild the tickets that messages moved from or to once per statement, not per row.

Both split text into runs of letters and digits (punctuation separates words), lower-case
them, and keep accents, so that a query finds the same tickets on either backend.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# -- SQLite ----------------------------------------------------------------------------------

# The documents of the given tickets, rebuilt from their rows (used by several triggers).
_SQLITE_REBUILD = """
UPDATE ticket_search SET
  subject = (SELECT subject FROM tickets WHERE tickets.id = ticket_search.rowid),
  body = COALESCE((SELECT group_concat(body_text, char(10)) FROM messages
                   WHERE messages.ticket_id = ticket_search.rowid AND messages.kind <> 'log'), '')
WHERE rowid IN ({ids});
"""

_SQLITE = [
    "CREATE VIRTUAL TABLE ticket_search USING fts5("
    "subject, body, tokenize = 'unicode61 remove_diacritics 0')",
    """
    CREATE TRIGGER ticket_search_ticket_added AFTER INSERT ON tickets BEGIN
      INSERT INTO ticket_search (rowid, subject, body) VALUES (new.id, new.subject, '');
    END
    """,
    """
    CREATE TRIGGER ticket_search_subject_changed AFTER UPDATE OF subject ON tickets
    WHEN old.subject IS NOT new.subject BEGIN
      UPDATE ticket_search SET subject = new.subject WHERE rowid = new.id;
    END
    """,
    """
    CREATE TRIGGER ticket_search_ticket_removed AFTER DELETE ON tickets BEGIN
      DELETE FROM ticket_search WHERE rowid = old.id;
    END
    """,
    """
    CREATE TRIGGER ticket_search_message_added AFTER INSERT ON messages
    WHEN new.kind <> 'log' BEGIN
      UPDATE ticket_search SET body = body || char(10) || new.body_text
      WHERE rowid = new.ticket_id;
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_changed
    AFTER UPDATE OF ticket_id, body_text, kind ON messages
    WHEN old.ticket_id IS NOT new.ticket_id OR old.body_text IS NOT new.body_text
      OR old.kind IS NOT new.kind BEGIN
      {_SQLITE_REBUILD.format(ids="old.ticket_id, new.ticket_id")}
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_removed AFTER DELETE ON messages BEGIN
      {_SQLITE_REBUILD.format(ids="old.ticket_id")}
    END
    """,
    # Rows that exist already: one document per ticket.
    """
    INSERT INTO ticket_search (rowid, subject, body)
    SELECT tickets.id, tickets.subject,
           COALESCE((SELECT group_concat(body_text, char(10)) FROM messages
                     WHERE messages.ticket_id = tickets.id AND messages.kind <> 'log'), '')
    FROM tickets
    """,
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ticket_search_message_removed",
    "DROP TRIGGER IF EXISTS ticket_search_message_changed",
    "DROP TRIGGER IF EXISTS ticket_search_message_added",
    "DROP TRIGGER IF EXISTS ticket_search_ticket_removed",
    "DROP TRIGGER IF EXISTS ticket_search_subject_changed",
    "DROP TRIGGER IF EXISTS ticket_search_ticket_added",
    "DROP TABLE IF EXISTS ticket_search",
]

# -- PostgreSQL ------------------------------------------------------------------------------

# Punctuation separates words (as in SQLite's unicode61): the default parser would keep
# `jane@example.com` or `12.5` as one token, and a search for `jane` would miss it.
_PG_WORDS = """
CREATE FUNCTION ticket_search_words(value text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  cleaned text := regexp_replace(value, '[[:punct:][:space:]]+', ' ', 'g');
  total integer := length(cleaned);
  doc tsvector := '';
  start integer := 1;
  stop integer;
BEGIN
  -- In slices of about 50,000 characters, each ended at a space: to_tsvector counts word
  -- positions against the 1 MB limit too, and positions are stripped (unused) anyway.
  WHILE start <= total LOOP
    stop := start + 50000;
    IF stop <= total THEN
      stop := stop + COALESCE(NULLIF(position(' ' IN substr(cleaned, stop, 1000)), 0) - 1, 0);
    END IF;
    doc := doc || strip(to_tsvector('simple'::regconfig, substr(cleaned, start, stop - start)));
    start := stop;
  END LOOP;
  RETURN doc;
END
$$
"""

# A tsvector holds at most 1 MB of words. A message whose words would take a ticket's
# document past that is left out of it (the message is stored; only its indexing is
# skipped), rather than the write failing.
_PG_DOCUMENT = """
CREATE FUNCTION ticket_search_document(wanted integer) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
  doc tsvector;
  body text;
BEGIN
  SELECT ticket_search_words(subject) INTO doc FROM tickets WHERE id = wanted;
  BEGIN
    RETURN doc || COALESCE((SELECT ticket_search_words(string_agg(body_text, ' '))
                            FROM messages WHERE ticket_id = wanted AND kind <> 'log'), '');
  EXCEPTION WHEN program_limit_exceeded THEN
    FOR body IN SELECT body_text FROM messages
                WHERE ticket_id = wanted AND kind <> 'log' ORDER BY id LOOP
      BEGIN
        doc := doc || ticket_search_words(body);
      EXCEPTION WHEN program_limit_exceeded THEN
        NULL;  -- this one does not fit; later, smaller ones may
      END;
    END LOOP;
    RETURN doc;
  END;
END
$$
"""

_PG_TICKETS_ADDED = """
CREATE FUNCTION ticket_search_tickets_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket_search (ticket_id, document)
  SELECT id, ticket_search_words(subject) FROM added;
  RETURN NULL;
END
$$
"""

_PG_SUBJECT_CHANGED = """
CREATE FUNCTION ticket_search_subject_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_search SET document = ticket_search_document(ticket_id)
  WHERE ticket_id = NEW.id;
  RETURN NULL;
END
$$
"""

# New messages, a whole statement's worth at once: one UPDATE per statement.
_PG_MESSAGES_ADDED = """
CREATE FUNCTION ticket_search_messages_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    UPDATE ticket_search SET document = document || fresh.words
    FROM (SELECT ticket_id, ticket_search_words(string_agg(body_text, ' ')) AS words
          FROM added WHERE kind <> 'log' GROUP BY ticket_id) AS fresh
    WHERE ticket_search.ticket_id = fresh.ticket_id;
  EXCEPTION WHEN program_limit_exceeded THEN
    -- Some ticket's document is full: rebuild the batch's tickets one by one instead.
    UPDATE ticket_search SET document = ticket_search_document(ticket_id)
    WHERE ticket_id IN (SELECT ticket_id FROM added WHERE kind <> 'log');
  END;
  RETURN NULL;
END
$$
"""

# Messages that moved, changed or went: rebuild each ticket involved once per statement.
_PG_MESSAGES_CHANGED = """
CREATE FUNCTION ticket_search_messages_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_search SET document = ticket_search_document(ticket_search.ticket_id)
  WHERE ticket_search.ticket_id IN (
    SELECT old_rows.ticket_id FROM old_rows JOIN new_rows USING (id)
    WHERE (old_rows.ticket_id, old_rows.body_text, old_rows.kind)
          IS DISTINCT FROM (new_rows.ticket_id, new_rows.body_text, new_rows.kind)
    UNION
    SELECT new_rows.ticket_id FROM old_rows JOIN new_rows USING (id)
    WHERE (old_rows.ticket_id, old_rows.body_text, old_rows.kind)
          IS DISTINCT FROM (new_rows.ticket_id, new_rows.body_text, new_rows.kind));
  RETURN NULL;
END
$$
"""

_PG_MESSAGES_REMOVED = """
CREATE FUNCTION ticket_search_messages_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_search SET document = ticket_search_document(ticket_search.ticket_id)
  WHERE ticket_search.ticket_id IN (SELECT DISTINCT ticket_id FROM old_rows);
  RETURN NULL;
END
$$
"""

_PG = [
    """
    CREATE TABLE ticket_search (
      ticket_id integer PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
      document tsvector NOT NULL
    )
    """,
    _PG_WORDS,
    _PG_DOCUMENT,
    _PG_TICKETS_ADDED,
    _PG_SUBJECT_CHANGED,
    _PG_MESSAGES_ADDED,
    _PG_MESSAGES_CHANGED,
    _PG_MESSAGES_REMOVED,
    """
    CREATE TRIGGER ticket_search_tickets_added AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION ticket_search_tickets_added()
    """,
    """
    CREATE TRIGGER ticket_search_subject_changed AFTER UPDATE OF subject ON tickets
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject)
    EXECUTE FUNCTION ticket_search_subject_changed()
    """,
    """
    CREATE TRIGGER ticket_search_messages_added AFTER INSERT ON messages
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION ticket_search_messages_added()
    """,
    """
    CREATE TRIGGER ticket_search_messages_changed AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION ticket_search_messages_changed()
    """,
    """
    CREATE TRIGGER ticket_search_messages_removed AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION ticket_search_messages_removed()
    """,
    # Rows that exist already: one document per ticket.
    """
    INSERT INTO ticket_search (ticket_id, document)
    SELECT id, ticket_search_document(id) FROM tickets
    """,
    "CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)",
    # With the default sample, a rare word is estimated at ~200 matches among 100,000
    # tickets, and for a page of 25 the planner walks the newest tickets testing each
    # (70 ms for a word found 10 times) instead of reading the index: a larger sample
    # knows far more words' frequencies and brings rare ones' estimates down to size.
    "ALTER TABLE ticket_search ALTER COLUMN document SET STATISTICS 1000",
    "ANALYZE ticket_search",
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS ticket_search_messages_removed ON messages",
    "DROP TRIGGER IF EXISTS ticket_search_messages_changed ON messages",
    "DROP TRIGGER IF EXISTS ticket_search_messages_added ON messages",
    "DROP TRIGGER IF EXISTS ticket_search_subject_changed ON tickets",
    "DROP TRIGGER IF EXISTS ticket_search_tickets_added ON tickets",
    "DROP TABLE IF EXISTS ticket_search",
    "DROP FUNCTION IF EXISTS ticket_search_messages_removed()",
    "DROP FUNCTION IF EXISTS ticket_search_messages_changed()",
    "DROP FUNCTION IF EXISTS ticket_search_messages_added()",
    "DROP FUNCTION IF EXISTS ticket_search_subject_changed()",
    "DROP FUNCTION IF EXISTS ticket_search_tickets_added()",
    "DROP FUNCTION IF EXISTS ticket_search_document(integer)",
    "DROP FUNCTION IF EXISTS ticket_search_words(text)",
]


def _run(statements: list[str]) -> None:
    # Straight to the driver: SQLAlchemy's text() would read `:punct:` as a parameter.
    bind = op.get_bind()
    for statement in statements:
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _run(_PG if postgres else _SQLITE)
    _list_indexes()


def downgrade() -> None:
    _drop_list_indexes()
    postgres = op.get_bind().dialect.name == "postgresql"
    _run(_PG_DROP if postgres else _SQLITE_DROP)


# -- the inbox list ----------------------------------------------------------------------------


def _list_indexes() -> None:
    """The inbox (archived tickets hidden) by status and priority, counted from the index."""
    op.create_index(
        "ix_tickets_inbox",
        "tickets",
        ["account_id", "status", "priority", "id"],
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )


def _drop_list_indexes() -> None:
    op.drop_index("ix_tickets_inbox", table_name="tickets")
