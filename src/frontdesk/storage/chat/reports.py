"""Chat reports (core.chat.ports.ChatReports): page filters, listings, statistics rows.

Statistics pages are a fixed number of statements whatever their length: the sessions with
their conversation and agent joined in, then one grouped query each for labels, tags and
the message times the figures are computed from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)

from frontdesk.core.chat.records import (
    ListedConversation,
    MatchType,
    PageFilter,
    Sender,
    Session,
    SessionFigures,
    SessionRow,
    StatsFilter,
    TagType,
)
from frontdesk.core.shared.paging import Window
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    within,
)
from frontdesk.storage.chat.rows import conversation_from_row, page_filter_from_row

_ESCAPE = "\\"


def _like_text(value: str) -> str:
    """A LIKE pattern that matches `value` literally (its own % and _ included)."""
    return value.replace(_ESCAPE, _ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")


def _page_matches(page_filter: PageFilter) -> ColumnElement[bool]:
    url = t.chat_pages.c.url
    text = page_filter.search_filter
    if page_filter.match_type is MatchType.EXACT:
        return url == text
    pattern = _like_text(text.lower())
    if page_filter.match_type is MatchType.STARTS_WITH:
        return func.lower(url).like(pattern + "%", escape=_ESCAPE)
    return func.lower(url).like("%" + pattern + "%", escape=_ESCAPE)


def _any_page(conversation_id: Any, filters: Sequence[PageFilter]) -> ColumnElement[bool]:
    """The conversation reported a page that matches any of the filters."""
    return exists().where(
        t.chat_pages.c.conversation_id == conversation_id,
        or_(*(_page_matches(item) for item in filters)),
    )


class SqlChatReports:
    """Page filters, conversation listings and the statistics' session rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_page_filter(self, values: Mapping[str, Any]) -> PageFilter:
        table = t.chat_page_filters
        return page_filter_from_row(
            self.conn.execute(insert(table).values(**values).returning(table)).one()
        )

    def list_page_filters(self, account_id: int) -> list[PageFilter]:
        table = t.chat_page_filters
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id).order_by(table.c.id)
        ).all()
        return [page_filter_from_row(row) for row in rows]

    def get_page_filters(self, account_id: int, ids: Sequence[int]) -> dict[int, PageFilter]:
        if not ids:
            return {}
        table = t.chat_page_filters
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id, table.c.id.in_(ids))
        ).all()
        return {row.id: page_filter_from_row(row) for row in rows}

    def delete_page_filter(self, filter_id: int) -> None:
        table = t.chat_page_filters
        self.conn.execute(delete(table).where(table.c.id == filter_id))

    def list_conversations(
        self,
        account_id: int,
        started: Window,
        page_filters: Sequence[PageFilter],
        *,
        after_id: int,
        limit: int,
    ) -> list[ListedConversation]:
        conv, sessions = t.chat_conversations, t.chat_sessions
        chatted = select(sessions.c.conversation_id).where(
            sessions.c.account_id == account_id, *within(sessions.c.started, started)
        )
        conditions = [
            conv.c.account_id == account_id,
            conv.c.id > after_id,
            conv.c.id.in_(chatted),
        ]
        if page_filters:
            conditions.append(_any_page(conv.c.id, page_filters))
        rows = self.conn.execute(
            select(conv.c.id, conv.c.public_id, conv.c.created)
            .where(*conditions)
            .order_by(conv.c.id)
            .limit(limit)
        ).all()
        return [ListedConversation(row.id, row.public_id, row.created) for row in rows]

    def session_rows(
        self, account_id: int, filters: StatsFilter, *, after: tuple[int, int] | None, limit: int
    ) -> list[SessionRow]:
        sessions, conv, agents = t.chat_sessions, t.chat_conversations, t.agents
        conditions = [
            sessions.c.account_id == account_id,
            *within(sessions.c.started, filters.started),
        ]
        if after is not None:
            started, session_id = after
            conditions.append(
                or_(
                    sessions.c.started > started,
                    and_(sessions.c.started == started, sessions.c.id > session_id),
                )
            )
        if filters.agent_ids:
            conditions.append(sessions.c.agent_id.in_(filters.agent_ids))
        if filters.conversation_ids:
            conditions.append(conv.c.public_id.in_(filters.conversation_ids))
        if filters.page_filters:
            conditions.append(_any_page(conv.c.id, filters.page_filters))
        query = (
            select(
                sessions,
                conv,
                agents.c.name.label("agent_name"),
                agents.c.email.label("agent_email"),
            )
            .select_from(
                sessions.join(conv, conv.c.id == sessions.c.conversation_id).outerjoin(
                    agents, agents.c.id == sessions.c.agent_id
                )
            )
            .where(*conditions)
            .order_by(sessions.c.started, sessions.c.id)
            .limit(limit)
        )
        rows = self.conn.execute(query).all()
        session_ids = [row[0] for row in rows]
        conversation_ids = sorted({row.conversation_id for row in rows})
        labels = self._grouped_labels(conversation_ids)
        tags = self._grouped_tags(conversation_ids)
        figures = self._figures(session_ids)
        empty = SessionFigures(None, None, None, None, 0)
        return [
            SessionRow(
                session=Session(
                    id=row[0],
                    conversation_id=row.conversation_id,
                    agent_id=row[3],
                    started=row.started,
                    closed=row.closed,
                    rating=row.rating,
                ),
                conversation=conversation_from_row(row, offset=len(sessions.c)),
                agent_name=row.agent_name,
                agent_email=row.agent_email,
                labels=tuple(labels.get(row.conversation_id, ())),
                tags=tuple(tags.get(row.conversation_id, ())),
                figures=figures.get(row[0], empty),
            )
            for row in rows
        ]

    def _grouped_labels(self, conversation_ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        if conversation_ids:
            table = t.chat_labels
            for conversation_id, label in self.conn.execute(
                select(table.c.conversation_id, table.c.label)
                .where(table.c.conversation_id.in_(conversation_ids))
                .order_by(table.c.conversation_id, table.c.created, table.c.label)
            ):
                found[conversation_id].append(label)
        return found

    def _grouped_tags(self, conversation_ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        if conversation_ids:
            table = t.chat_tags
            for conversation_id, tag in self.conn.execute(
                select(table.c.conversation_id, table.c.tag)
                .where(table.c.conversation_id.in_(conversation_ids), table.c.type == TagType.TAG)
                .order_by(table.c.conversation_id, table.c.created, table.c.tag)
            ):
                found[conversation_id].append(tag)
        return found

    def _figures(self, session_ids: Sequence[int]) -> dict[int, SessionFigures]:
        if not session_ids:
            return {}
        msg = t.chat_messages
        said = msg.c.sender != Sender.SYSTEM.value
        by_visitor = msg.c.sender == Sender.VISITOR.value
        by_agent = msg.c.sender == Sender.AGENT.value
        totals = (
            select(
                msg.c.session_id,
                func.min(case((by_visitor, msg.c.created))).label("first_visitor"),
                func.min(case((said, msg.c.created))).label("first_message"),
                func.max(case((said, msg.c.created))).label("last_message"),
                func.sum(case((by_agent, literal(1)), else_=literal(0))).label("agent_messages"),
            )
            .where(msg.c.session_id.in_(session_ids))
            .group_by(msg.c.session_id)
            .subquery()
        )
        answer = msg.alias("answer")
        first_response = (
            select(func.min(answer.c.created))
            .where(
                answer.c.session_id == totals.c.session_id,
                answer.c.sender == Sender.AGENT.value,
                answer.c.created >= totals.c.first_visitor,
            )
            .scalar_subquery()
        )
        rows = self.conn.execute(select(totals, first_response.label("first_response"))).all()
        return {
            row.session_id: SessionFigures(
                first_visitor=row.first_visitor,
                first_response=row.first_response,
                first_message=row.first_message,
                last_message=row.last_message,
                agent_messages=int(row.agent_messages or 0),
            )
            for row in rows
        }
