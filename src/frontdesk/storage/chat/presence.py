"""Agents' chat status and their console tabs (core.chat.presence)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, case, delete, func, select

from frontdesk.core.chat.records import AgentChatStatus, Availability, ChatStatus
from frontdesk.storage import tables as t
from frontdesk.storage._sql import upsert


class SqlPresence:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put_status(
        self, account_id: int, agent_id: int, changes: Mapping[str, Any], now: int
    ) -> None:
        table = t.agent_chat_status
        values = {"status": Availability.OFFLINE.value, "chat_limit": None, **changes}
        self.conn.execute(
            upsert(self.conn)(table)
            .values(agent_id=agent_id, account_id=account_id, updated=now, **values)
            .on_conflict_do_update(
                index_elements=[table.c.agent_id], set_={**changes, "updated": now}
            )
        )

    def statuses(self, account_id: int, since: int) -> list[AgentChatStatus]:
        chosen, tabs = t.agent_chat_status, t.agent_tabs
        counted = (
            select(
                tabs.c.agent_id,
                func.count().label("live"),
                func.sum(case((tabs.c.active, 1), else_=0)).label("active"),
            )
            .where(tabs.c.account_id == account_id, tabs.c.seen >= since)
            .group_by(tabs.c.agent_id)
            .subquery()
        )
        agents = t.agents
        rows = self.conn.execute(
            select(
                agents.c.id, chosen.c.status, chosen.c.chat_limit, counted.c.live, counted.c.active
            )
            .select_from(
                agents.outerjoin(chosen, chosen.c.agent_id == agents.c.id).outerjoin(
                    counted, counted.c.agent_id == agents.c.id
                )
            )
            .where(agents.c.account_id == account_id)
            .order_by(agents.c.id)
        ).all()
        return [
            AgentChatStatus(
                agent_id=row.id,
                chosen=Availability(row.status or Availability.ONLINE.value),
                chat_limit=row.chat_limit,
                live_tabs=int(row.live or 0),
                active_tabs=int(row.active or 0),
            )
            for row in rows
        ]

    def beat(self, account_id: int, agent_id: int, tab: str, active: bool, now: int) -> None:
        table = t.agent_tabs
        self.conn.execute(
            upsert(self.conn)(table)
            .values(agent_id=agent_id, tab=tab, account_id=account_id, active=active, seen=now)
            .on_conflict_do_update(
                index_elements=[table.c.agent_id, table.c.tab], set_={"active": active, "seen": now}
            )
        )

    def close_tab(self, agent_id: int, tab: str) -> None:
        table = t.agent_tabs
        self.conn.execute(delete(table).where(table.c.agent_id == agent_id, table.c.tab == tab))

    def forget_tabs(self, before: int) -> None:
        table = t.agent_tabs
        self.conn.execute(delete(table).where(table.c.seen < before))

    def active_chats(self, account_id: int, agent_id: int) -> int:
        table = t.chat_conversations
        return int(
            self.conn.execute(
                select(func.count()).where(
                    table.c.account_id == account_id,
                    table.c.status == ChatStatus.ACTIVE.value,
                    table.c.agent_id == agent_id,
                )
            ).scalar_one()
        )

    def chat_limit(self, agent_id: int) -> int | None:
        table = t.agent_chat_status
        limit: int | None = self.conn.execute(
            select(table.c.chat_limit).where(table.c.agent_id == agent_id)
        ).scalar_one_or_none()
        return limit

    def active_counts(self, account_id: int) -> dict[int, int]:
        table = t.chat_conversations
        rows = self.conn.execute(
            select(table.c.agent_id, func.count())
            .where(table.c.account_id == account_id, table.c.status == ChatStatus.ACTIVE.value)
            .group_by(table.c.agent_id)
        ).all()
        return {int(agent_id): int(count) for agent_id, count in rows if agent_id is not None}

    def offer_seconds(self, account_id: int) -> int | None:
        table = t.chat_routing
        seconds: int | None = self.conn.execute(
            select(table.c.offer_seconds).where(table.c.account_id == account_id)
        ).scalar_one_or_none()
        return seconds

    def put_offer_seconds(self, account_id: int, seconds: int, now: int) -> None:
        table = t.chat_routing
        self.conn.execute(
            upsert(self.conn)(table)
            .values(account_id=account_id, offer_seconds=seconds, updated=now)
            .on_conflict_do_update(
                index_elements=[table.c.account_id], set_={"offer_seconds": seconds, "updated": now}
            )
        )

    def chat_starts(self, session_ids: Sequence[int]) -> dict[int, int]:
        if not session_ids:
            return {}
        table = t.chat_sessions
        rows = self.conn.execute(
            select(table.c.id, table.c.started).where(table.c.id.in_(list(session_ids)))
        ).all()
        return {int(row.id): int(row.started) for row in rows}
