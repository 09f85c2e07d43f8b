"""search_account: PostgreSQL's search rows carry their ticket's account and archived state

A search for a rare word found its matches in the GIN index and then looked each one up
in `tickets` by primary key, only to keep the account's live tickets: 1,000 probes for a
word in 1,000 tickets at 1,000,000 (docs/benchmarks.md, issue 20). With `account_id` and
`archived` on the search row itself, the search list's default filters are answered by
the rows the index already leads to, and only the page's tickets are read.

The database keeps the two columns in step by itself, as it does the documents: a new
ticket's row is written with them (the insert trigger of 0006, replaced here), and a row
trigger copies them whenever a ticket's `account_id` or archived state changes, whatever
changes it (archive, unarchive, a merge or split that archives, an import). Erasure
deletes tickets, and their rows go with them (ON DELETE CASCADE, as before).

A partial index on (account_id, ticket_id) for live tickets lets a common word walk one
account's newest tickets. SQLite's FTS5 table is unchanged: this migration does nothing
there.

The backfill rewrites every search row, so the GIN index is dropped first and built again
after: updating a row in place would insert all its words into the index once more.

Revision ID: 0080
Revises: 0079
Create Date: 2026-11-24 21:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0080"
down_revision = "0079"
branch_labels = None
depends_on = None

_TICKETS_ADDED = """
CREATE OR REPLACE FUNCTION ticket_search_tickets_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket_search (ticket_id, account_id, archived, document)
  SELECT id, account_id, archived_at IS NOT NULL, ticket_search_words(subject) FROM added;
  RETURN NULL;
END
$$
"""

# As 0006 wrote it, for the downgrade.
_TICKETS_ADDED_0006 = """
CREATE OR REPLACE FUNCTION ticket_search_tickets_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ticket_search (ticket_id, document)
  SELECT id, ticket_search_words(subject) FROM added;
  RETURN NULL;
END
$$
"""

_TICKET_MOVED = """
CREATE FUNCTION ticket_search_ticket_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_search
  SET account_id = NEW.account_id, archived = NEW.archived_at IS NOT NULL
  WHERE ticket_id = NEW.id;
  RETURN NULL;
END
$$
"""

_UPGRADE = [
    "DROP INDEX ix_ticket_search_document",
    "ALTER TABLE ticket_search ADD COLUMN account_id integer",
    "ALTER TABLE ticket_search ADD COLUMN archived boolean NOT NULL DEFAULT false",
    """
    UPDATE ticket_search
    SET account_id = tickets.account_id, archived = tickets.archived_at IS NOT NULL
    FROM tickets WHERE tickets.id = ticket_search.ticket_id
    """,
    "ALTER TABLE ticket_search ALTER COLUMN account_id SET NOT NULL",
    "ALTER TABLE ticket_search ALTER COLUMN archived DROP DEFAULT",
    _TICKETS_ADDED,
    _TICKET_MOVED,
    # Row-level: a trigger with a column list cannot have transition tables.
    """
    CREATE TRIGGER ticket_search_ticket_moved AFTER UPDATE OF account_id, archived_at
    ON tickets FOR EACH ROW
    WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id
          OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL))
    EXECUTE FUNCTION ticket_search_ticket_moved()
    """,
    "CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)",
    """
    CREATE INDEX ix_ticket_search_live ON ticket_search (account_id, ticket_id)
    WHERE NOT archived
    """,
    "ANALYZE ticket_search",
]

_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS ticket_search_ticket_moved ON tickets",
    "DROP FUNCTION IF EXISTS ticket_search_ticket_moved()",
    _TICKETS_ADDED_0006,
    "DROP INDEX IF EXISTS ix_ticket_search_live",
    "ALTER TABLE ticket_search DROP COLUMN archived",
    "ALTER TABLE ticket_search DROP COLUMN account_id",
]


def _run(statements: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite's FTS5 table is joined to tickets as before
    for statement in statements:
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    _run(_UPGRADE)


def downgrade() -> None:
    _run(_DOWNGRADE)
