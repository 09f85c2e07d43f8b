"""The SQL behind live chat (core/chat_records.ChatRepo), mixed into SqlRepo.

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
    update,
)

from frontdesk.core.chat_records import (
    ChatMessage,
    ChatStatus,
    Conversation,
    ListedConversation,
    MatchType,
    PageFilter,
    Sender,
    Session,
    SessionFigures,
    SessionRow,
    StatsFilter,
    TagType,
    VisitorCard,
    VisitorInfo,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.core.listing import Window
from frontdesk.core.models import Account
from frontdesk.storage import tables as t
from frontdesk.storage.queries import within
from frontdesk.storage.rows import account_from_row

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


class ChatQueryMixin:
    conn: Connection
    _lock: bool

    # -- conversations ---------------------------------------------------------------------

    def account_by_public_id(self, public_id: str) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(t.accounts.c.public_id == public_id)
        ).one_or_none()
        return account_from_row(row) if row else None

    def insert_conversation(self, values: Mapping[str, Any]) -> Conversation:
        table = t.chat_conversations
        return _conversation(
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
        return _conversation(row) if row else None

    def get_conversation_by_id(self, conversation_id: int) -> Conversation | None:
        table = t.chat_conversations
        row = self.conn.execute(select(table).where(table.c.id == conversation_id)).one_or_none()
        return _conversation(row) if row else None

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
        return [_conversation(row) for row in rows]

    # -- sessions and messages ----------------------------------------------------------------

    def insert_session(self, values: Mapping[str, Any]) -> Session:
        table = t.chat_sessions
        return _session(self.conn.execute(insert(table).values(**values).returning(table)).one())

    def get_session(self, session_id: int) -> Session | None:
        table = t.chat_sessions
        row = self.conn.execute(select(table).where(table.c.id == session_id)).one_or_none()
        return _session(row) if row else None

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> None:
        table = t.chat_sessions
        self.conn.execute(update(table).where(table.c.id == session_id).values(**changes))

    def insert_chat_message(self, values: Mapping[str, Any]) -> ChatMessage:
        table = t.chat_messages
        return _message(self.conn.execute(insert(table).values(**values).returning(table)).one())

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
        return [_message(row) for row in rows]

    def chat_message_by_ref(self, conversation_id: int, client_ref: str) -> ChatMessage | None:
        table = t.chat_messages
        row = self.conn.execute(
            select(table).where(
                table.c.conversation_id == conversation_id, table.c.client_ref == client_ref
            )
        ).one_or_none()
        return _message(row) if row else None

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

    # -- tags, labels, cards ---------------------------------------------------------------------

    def visitor_tags(self, conversation_id: int) -> list[VisitorTag]:
        table = t.chat_tags
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.type, table.c.created, table.c.tag)
        ).all()
        return [VisitorTag(TagType(row.type), row.tag, row.created) for row in rows]

    def set_name_tag(self, conversation_id: int, name: str, now: int) -> None:
        table = t.chat_tags
        self.conn.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id, table.c.type == TagType.NAME
            )
        )
        self.conn.execute(
            insert(table).values(
                conversation_id=conversation_id, type=TagType.NAME, tag=name, created=now
            )
        )

    def add_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None:
        known = {tag.tag for tag in self.visitor_tags(conversation_id) if tag.type is TagType.TAG}
        fresh = [tag for tag in dict.fromkeys(tags) if tag not in known]
        if fresh:
            self.conn.execute(
                insert(t.chat_tags),
                [
                    {
                        "conversation_id": conversation_id,
                        "type": TagType.TAG,
                        "tag": tag,
                        "created": now,
                    }
                    for tag in fresh
                ],
            )

    def replace_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None:
        table = t.chat_tags
        self.conn.execute(
            delete(table).where(
                table.c.conversation_id == conversation_id, table.c.type == TagType.TAG
            )
        )
        self.add_tags(conversation_id, tags, now)

    def visitor_labels(self, conversation_id: int) -> list[VisitorLabel]:
        table = t.chat_labels
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.created, table.c.label)
        ).all()
        return [VisitorLabel(row.label, row.created) for row in rows]

    def add_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None:
        known = {label.label for label in self.visitor_labels(conversation_id)}
        fresh = [label for label in dict.fromkeys(labels) if label not in known]
        if fresh:
            self.conn.execute(
                insert(t.chat_labels),
                [
                    {"conversation_id": conversation_id, "label": label, "created": now}
                    for label in fresh
                ],
            )

    def replace_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None:
        table = t.chat_labels
        self.conn.execute(delete(table).where(table.c.conversation_id == conversation_id))
        self.add_labels(conversation_id, labels, now)

    def visitor_cards(self, conversation_id: int) -> list[VisitorCard]:
        table = t.chat_cards
        rows = self.conn.execute(
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.created, table.c.data_id)
        ).all()
        return [VisitorCard(row.data_id, row.data, row.created, row.updated) for row in rows]

    def upsert_card(self, conversation_id: int, data_id: str, data: str, now: int) -> None:
        # The conversation row is locked by the caller, so check-then-write cannot race.
        table = t.chat_cards
        mine = and_(table.c.conversation_id == conversation_id, table.c.data_id == data_id)
        if self.conn.execute(select(table.c.data_id).where(mine)).first() is None:
            self.conn.execute(
                insert(table).values(
                    conversation_id=conversation_id,
                    data_id=data_id,
                    data=data,
                    created=now,
                    updated=now,
                )
            )
        else:
            self.conn.execute(update(table).where(mine).values(data=data, updated=now))

    # -- page filters --------------------------------------------------------------------------

    def insert_page_filter(self, values: Mapping[str, Any]) -> PageFilter:
        table = t.chat_page_filters
        return _page_filter(
            self.conn.execute(insert(table).values(**values).returning(table)).one()
        )

    def list_page_filters(self, account_id: int) -> list[PageFilter]:
        table = t.chat_page_filters
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id).order_by(table.c.id)
        ).all()
        return [_page_filter(row) for row in rows]

    def get_page_filters(self, account_id: int, ids: Sequence[int]) -> dict[int, PageFilter]:
        if not ids:
            return {}
        table = t.chat_page_filters
        rows = self.conn.execute(
            select(table).where(table.c.account_id == account_id, table.c.id.in_(ids))
        ).all()
        return {row.id: _page_filter(row) for row in rows}

    def delete_page_filter(self, filter_id: int) -> None:
        table = t.chat_page_filters
        self.conn.execute(delete(table).where(table.c.id == filter_id))

    # -- listings and statistics ----------------------------------------------------------------

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
                conversation=_conversation(row, offset=len(sessions.c)),
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


def _conversation(row: Any, offset: int = 0) -> Conversation:
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
    )


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        conversation_id=row.conversation_id,
        agent_id=row.agent_id,
        started=row.started,
        closed=row.closed,
        rating=row.rating,
    )


def _message(row: Any) -> ChatMessage:
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
    )


def _page_filter(row: Any) -> PageFilter:
    return PageFilter(
        id=row.id,
        account_id=row.account_id,
        search_name=row.search_name,
        search_filter=row.search_filter,
        match_type=MatchType(row.match_type),
        created=row.created,
    )
