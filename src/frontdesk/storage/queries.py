"""Read-only list and search queries for the dialects (keyset paging, filters, exports).

Kept apart from repo.py's single-object reads and writes; SqlRepo inherits both.
"""

from __future__ import annotations

from sqlalchemy import Connection


class QueryMixin:
    conn: Connection
