"""Customers' one-time sign-in links and portal sessions (core.identity.portal's port)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from frontdesk.core.identity.records import PortalLink, PortalSession
from frontdesk.storage import tables as t
from frontdesk.storage._sql import insert_row, update_row


class SqlPortal:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_link(self, values: Mapping[str, Any]) -> PortalLink:
        return _link(insert_row(self.conn, t.portal_links, values))

    def find_link(self, public_id: str) -> PortalLink | None:
        row = self.conn.execute(
            select(t.portal_links).where(t.portal_links.c.public_id == public_id)
        ).one_or_none()
        return _link(row) if row else None

    def use_link(self, link_id: int, now: int) -> bool:
        pl = t.portal_links
        done = self.conn.execute(
            update(pl).where(pl.c.id == link_id, pl.c.used.is_(None)).values(used=now)
        )
        return bool(done.rowcount)

    def insert_session(self, values: Mapping[str, Any]) -> PortalSession:
        return _session(insert_row(self.conn, t.portal_sessions, values))

    def find_session(self, public_id: str) -> PortalSession | None:
        row = self.conn.execute(
            select(t.portal_sessions).where(t.portal_sessions.c.public_id == public_id)
        ).one_or_none()
        return _session(row) if row else None

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> PortalSession:
        return _session(update_row(self.conn, t.portal_sessions, session_id, changes))


def _link(row: Any) -> PortalLink:
    return PortalLink(
        id=row.id,
        account_id=row.account_id,
        contact_id=row.contact_id,
        public_id=row.public_id,
        created=row.created,
        expires=row.expires,
        used=row.used,
        secret_hash=row.secret_hash,
    )


def _session(row: Any) -> PortalSession:
    return PortalSession(
        id=row.id,
        account_id=row.account_id,
        contact_id=row.contact_id,
        public_id=row.public_id,
        created=row.created,
        last_seen=row.last_seen,
        expires=row.expires,
        revoked=row.revoked,
        secret_hash=row.secret_hash,
    )
