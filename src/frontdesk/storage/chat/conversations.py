"""Conversations, their sessions and messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    insert,
    select,
    update,
)

from frontdesk.core.chat.records import (
    ChatMessage,
    ChatStatus,
    Conversation,
    Sender,
    Session,
)
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    locks_rows,
)
from frontdesk.storage.chat.rows import (
    chat_message_from_row,
    conversation_from_row,
    session_from_row,
)


class SqlChat:
    """One account's conversations; writers to one conversation take turns on its row."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = locks_rows(conn)

    def insert_conversation(self, values: Mapping[str, Any]) -> Conversation:
        table = t.chat_conversations
        return conversation_from_row(
            self.conn.execute(insert(table).values(**values).returning(table)).one()
        )

    def get_conversation(
        self, account_id: int, public_id: str, *, lock: bool = False
    ) -> Conversation | None:
        table = t.chat_conversations
        query = select(table).where(
            table.c.public_id == public_id, table.c.account_id == account_id
        )
        if lock and self._lock:
            query = query.with_for_update()
        row = self.conn.execute(query).one_or_none()
        return conversation_from_row(row) if row else None

    def get_conversation_by_id(self, conversation_id: int) -> Conversation | None:
        table = t.chat_conversations
        row = self.conn.execute(select(table).where(table.c.id == conversation_id)).one_or_none()
        return conversation_from_row(row) if row else None

    def update_conversation(self, conversation_id: int, changes: Mapping[str, Any]) -> None:
        table = t.chat_conversations
        self.conn.execute(update(table).where(table.c.id == conversation_id).values(**changes))

    def take_seq(self, conversation_id: int, now: int) -> int:
        table = t.chat_conversations
        return int(
            self.conn.execute(
                update(table)
                .where(table.c.id == conversation_id)
                .values(last_seq=table.c.last_seq + 1, updated=now)
                .returning(table.c.last_seq)
            ).scalar_one()
        )

    def list_chats(
        self, account_id: int, statuses: Sequence[ChatStatus], *, limit: int
    ) -> list[Conversation]:
        table = t.chat_conversations
        rows = self.conn.execute(
            select(table)
            .where(
                table.c.account_id == account_id,
                table.c.status.in_([status.value for status in statuses]),
            )
            .order_by(table.c.updated.desc(), table.c.id.desc())
            .limit(limit)
        ).all()
        return [conversation_from_row(row) for row in rows]

    def contact_chats(self, account_id: int, contact_id: int, *, limit: int) -> list[Conversation]:
        table = t.chat_conversations
        rows = self.conn.execute(
            select(table)
            .where(table.c.account_id == account_id, table.c.contact_id == contact_id)
            .order_by(table.c.id.desc())
            .limit(limit)
        ).all()
        return [conversation_from_row(row) for row in rows]

    def insert_session(self, values: Mapping[str, Any]) -> Session:
        table = t.chat_sessions
        return session_from_row(
            self.conn.execute(insert(table).values(**values).returning(table)).one()
        )

    def get_session(self, session_id: int) -> Session | None:
        table = t.chat_sessions
        row = self.conn.execute(select(table).where(table.c.id == session_id)).one_or_none()
        return session_from_row(row) if row else None

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> None:
        table = t.chat_sessions
        self.conn.execute(update(table).where(table.c.id == session_id).values(**changes))

    def insert_chat_message(self, values: Mapping[str, Any]) -> ChatMessage:
        table = t.chat_messages
        return chat_message_from_row(
            self.conn.execute(insert(table).values(**values).returning(table)).one()
        )

    def chat_messages(
        self, conversation_id: int, *, after_id: int = 0, after_seq: int = 0, limit: int
    ) -> list[ChatMessage]:
        table = t.chat_messages
        rows = self.conn.execute(
            select(table)
            .where(
                table.c.conversation_id == conversation_id,
                table.c.id > after_id,
                table.c.seq > after_seq,
            )
            .order_by(table.c.seq)
            .limit(limit)
        ).all()
        return [chat_message_from_row(row) for row in rows]

    def chat_message_by_ref(self, conversation_id: int, client_ref: str) -> ChatMessage | None:
        table = t.chat_messages
        row = self.conn.execute(
            select(table).where(
                table.c.conversation_id == conversation_id, table.c.client_ref == client_ref
            )
        ).one_or_none()
        return chat_message_from_row(row) if row else None

    def session_has_agent_message(self, session_id: int) -> bool:
        table = t.chat_messages
        found = self.conn.execute(
            select(table.c.id)
            .where(table.c.session_id == session_id, table.c.sender == Sender.AGENT.value)
            .limit(1)
        ).first()
        return found is not None

    def insert_page_view(self, conversation_id: int, url: str, now: int) -> None:
        self.conn.execute(
            insert(t.chat_pages).values(conversation_id=conversation_id, url=url, created=now)
        )
