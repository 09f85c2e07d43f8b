"""Rows to the chat area's records."""

from __future__ import annotations

from typing import Any

from frontdesk.core.chat.records import (
    ChatMessage,
    ChatStatus,
    Conversation,
    MatchType,
    PageFilter,
    Sender,
    Session,
    VisitorInfo,
)
from frontdesk.storage import tables as t


def conversation_from_row(row: Any, offset: int = 0) -> Conversation:
    """A conversation from a row; `offset` skips the columns of a table joined before it."""
    m = dict(zip(t.chat_conversations.c.keys(), tuple(row)[offset:], strict=False))
    return Conversation(
        id=m["id"],
        account_id=m["account_id"],
        public_id=m["public_id"],
        status=ChatStatus(m["status"]),
        agent_id=m["agent_id"],
        session_id=m["session_id"],
        visitor_name=m["visitor_name"],
        last_seq=m["last_seq"],
        info=VisitorInfo(
            traffic_type=m["traffic_type"],
            search_engine=m["search_engine"],
            referrer=m["referrer"],
            browser=m["browser"],
            os=m["os"],
            city=m["city"],
            country=m["country"],
        ),
        exit_page=m["exit_page"],
        last_visit=m["last_visit"],
        created=m["created"],
        updated=m["updated"],
        secret_hash=m["secret_hash"],
        verified=m["verified"],
    )


def session_from_row(row: Any) -> Session:
    return Session(
        id=row.id,
        conversation_id=row.conversation_id,
        agent_id=row.agent_id,
        started=row.started,
        closed=row.closed,
        rating=row.rating,
    )


def chat_message_from_row(row: Any) -> ChatMessage:
    m = row._mapping
    return ChatMessage(
        id=m["id"],
        account_id=m["account_id"],
        conversation_id=m["conversation_id"],
        session_id=m["session_id"],
        seq=m["seq"],
        sender=Sender(m["sender"]),
        agent_id=m["agent_id"],
        from_name=m["from_name"],
        body=m["body"],
        created=m["created"],
        client_ref=m["client_ref"],
        note=m["note"],
    )


def page_filter_from_row(row: Any) -> PageFilter:
    return PageFilter(
        id=row.id,
        account_id=row.account_id,
        search_name=row.search_name,
        search_filter=row.search_filter,
        match_type=MatchType(row.match_type),
        created=row.created,
    )
