"""Notifications and their preferences (core.notify's port)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frontdesk.core.notify.records import (
    DIGEST_MS,
    QUOTES_LOG,
    Delivery,
    Kind,
    NewNotification,
    Notification,
    Preferences,
    Shown,
)
from frontdesk.storage import tables as t


def _kinds(text: str) -> frozenset[Kind]:
    return frozenset(Kind(value) for value in text.split(",") if value in Kind.__members__.values())


def _text(kinds: frozenset[Kind]) -> str:
    return ",".join(sorted(kind.value for kind in kinds))


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id, account_id=row.account_id, agent_id=row.agent_id, kind=Kind(row.kind),
        ticket_id=row.ticket_id, conversation_id=row.conversation_id,
        message_id=row.message_id, by_agent_id=row.by_agent_id, created=row.created,
        read_at=row.read_at, mailed=row.mailed,
    )  # fmt: skip


class SqlNotifications:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def preferences(self, agent_ids: Sequence[int]) -> dict[int, Preferences]:
        if not agent_ids:
            return {}
        ns = t.notification_settings
        rows = self.conn.execute(select(ns).where(ns.c.agent_id.in_(agent_ids))).all()
        return {
            row.agent_id: Preferences(
                _kinds(row.web), _kinds(row.email), Delivery(row.delivery), row.last_digest
            )
            for row in rows
        }

    def save_preferences(
        self, account_id: int, agent_id: int, preferences: Preferences, now: int
    ) -> None:
        values = {
            "web": _text(preferences.web),
            "email": _text(preferences.email),
            "delivery": preferences.delivery.value,
            "updated": now,
        }
        upsert = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        statement = upsert(t.notification_settings).values(
            agent_id=agent_id, account_id=account_id, last_digest=preferences.last_digest,
            **values,
        )  # fmt: skip
        self.conn.execute(statement.on_conflict_do_update(index_elements=["agent_id"], set_=values))

    def insert_notification(self, new: NewNotification, now: int) -> Notification:
        row = self.conn.execute(
            insert(t.notifications)
            .values(
                account_id=new.account_id, agent_id=new.agent_id, kind=new.kind.value,
                ticket_id=new.ticket_id, conversation_id=new.conversation_id,
                message_id=new.message_id, by_agent_id=new.by_agent_id, created=now,
            )
            .returning(t.notifications)
        ).one()  # fmt: skip
        return _notification(row)

    def mark_mailed(self, notification_ids: Sequence[int], now: int) -> None:
        if notification_ids:
            nt = t.notifications
            self.conn.execute(
                update(nt).where(nt.c.id.in_(notification_ids), nt.c.mailed.is_(None))
                .values(mailed=now)
            )  # fmt: skip

    def set_last_digest(self, agent_id: int, now: int) -> None:
        ns = t.notification_settings
        self.conn.execute(update(ns).where(ns.c.agent_id == agent_id).values(last_digest=now))

    def _shown_query(self) -> Any:
        nt, tk, cc, ag = t.notifications, t.tickets, t.chat_conversations, t.agents
        # The log line a failed mail's notification quotes, read live (an erasure or the
        # ticket's deletion takes it along); other kinds' messages are not read here.
        ms = t.messages
        quoted = and_(ms.c.id == nt.c.message_id,
                      nt.c.kind.in_(sorted(kind.value for kind in QUOTES_LOG)))  # fmt: skip
        return (
            select(nt, tk.c.subject, tk.c.number, tk.c.uuid.label("ticket_uuid"),
                   cc.c.public_id, cc.c.visitor_name, ag.c.name.label("by_name"),
                   ms.c.body_text.label("detail"))
            .select_from(
                nt.outerjoin(tk, tk.c.id == nt.c.ticket_id)
                .outerjoin(cc, cc.c.id == nt.c.conversation_id)
                .outerjoin(ag, ag.c.id == nt.c.by_agent_id)
                .outerjoin(ms, quoted)
            )
        )  # fmt: skip

    def _shown(self, rows: Sequence[Any]) -> list[Shown]:
        return [
            Shown(
                _notification(row),
                title=row.subject if row.subject is not None else (row.visitor_name or "Visitor"),
                ticket_number=row.number,
                ticket_uuid=row.ticket_uuid,
                conversation_public_id=row.public_id,
                by_name=row.by_name,
                detail=row.detail,
            )
            for row in rows
        ]

    def shown(self, agent_id: int, *, after_id: int | None, limit: int) -> list[Shown]:
        nt = t.notifications
        query = self._shown_query().where(nt.c.agent_id == agent_id)
        if after_id is not None:
            query = query.where(nt.c.id < after_id)
        return self._shown(self.conn.execute(query.order_by(nt.c.id.desc()).limit(limit)).all())

    def shown_by_id(self, notification_ids: Sequence[int]) -> list[Shown]:
        if not notification_ids:
            return []
        nt = t.notifications
        query = self._shown_query().where(nt.c.id.in_(notification_ids)).order_by(nt.c.id)
        return self._shown(self.conn.execute(query).all())

    def unread_count(self, agent_id: int) -> int:
        nt = t.notifications
        return int(
            self.conn.execute(
                select(func.count()).where(nt.c.agent_id == agent_id, nt.c.read_at.is_(None))
            ).scalar_one()
        )

    def mark_read(self, agent_id: int, notification_ids: Sequence[int] | None, now: int) -> int:
        nt = t.notifications
        condition = and_(nt.c.agent_id == agent_id, nt.c.read_at.is_(None))
        if notification_ids is not None:
            if not notification_ids:
                return 0
            condition = and_(condition, nt.c.id.in_(notification_ids))
        return int(self.conn.execute(update(nt).where(condition).values(read_at=now)).rowcount)

    def digest_due(self, now: int) -> list[tuple[int, list[int]]]:
        ns, nt = t.notification_settings, t.notifications
        due = []
        for delivery, period in DIGEST_MS.items():
            query = select(ns.c.agent_id).where(
                ns.c.delivery == delivery.value,
                (ns.c.last_digest.is_(None)) | (ns.c.last_digest <= now - period),
            )
            if self.conn.dialect.name == "postgresql":
                # Two server processes looking at once: each agent's digest is one's to send.
                query = query.with_for_update(skip_locked=True)
            agents = self.conn.execute(query).scalars()
            for agent_id in agents:
                ids = list(self.conn.execute(
                    select(nt.c.id).where(nt.c.agent_id == agent_id, nt.c.mailed.is_(None))
                    .order_by(nt.c.id).limit(200)
                ).scalars())  # fmt: skip
                if ids:
                    due.append((agent_id, ids))
        return due
