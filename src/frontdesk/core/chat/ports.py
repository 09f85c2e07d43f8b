"""What the chat area needs from storage: conversations and their messages, what is set on
a visitor, and the reports (page filters, listings, statistics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.chat.records import (
    AgentChatStatus,
    ChatMessage,
    ChatStatus,
    Conversation,
    ListedConversation,
    PageFilter,
    PageView,
    Session,
    SessionRow,
    StatsFilter,
    VisitorCard,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.shared.paging import Window


class ChatRepo(Protocol):
    """Conversations, their sessions (one chat each) and their messages."""

    def insert_conversation(self, values: Mapping[str, Any]) -> Conversation: ...

    def get_conversation(
        self, account_id: int, public_id: str, *, lock: bool = False
    ) -> Conversation | None: ...

    def get_conversation_by_id(self, conversation_id: int) -> Conversation | None: ...

    def update_conversation(self, conversation_id: int, changes: Mapping[str, Any]) -> None: ...

    def take_seq(self, conversation_id: int, now: int) -> int:
        """The conversation's next message number; also locks its row until commit."""
        ...

    def list_chats(
        self, account_id: int, statuses: Sequence[ChatStatus], *, limit: int
    ) -> list[Conversation]: ...

    def contact_chats(self, account_id: int, contact_id: int, *, limit: int) -> list[Conversation]:
        """The conversations linked to a contact, newest first."""
        ...

    def insert_session(self, values: Mapping[str, Any]) -> Session: ...

    def get_session(self, session_id: int) -> Session | None: ...

    def sessions_of(self, conversation_id: int, *, limit: int) -> list[Session]:
        """The conversation's chats, newest first."""
        ...

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> None: ...

    def insert_chat_message(self, values: Mapping[str, Any]) -> ChatMessage: ...

    def chat_messages(
        self, conversation_id: int, *, after_id: int = 0, after_seq: int = 0, limit: int
    ) -> list[ChatMessage]: ...

    def chat_message_by_ref(self, conversation_id: int, client_ref: str) -> ChatMessage | None: ...

    def session_has_agent_message(self, session_id: int) -> bool: ...

    def insert_page_view(self, conversation_id: int, url: str, now: int) -> None: ...

    def waiting_before(self, account_id: int, session_id: int) -> int:
        """How many waiting chats of the account started before this session."""
        ...

    def get_chat_settings(self, account_id: int) -> Mapping[str, Any] | None: ...

    def put_chat_settings(self, account_id: int, values: Mapping[str, Any]) -> None: ...

    def page_views(self, conversation_id: int, *, limit: int) -> list[PageView]:
        """The latest `limit` pages the visitor reported, newest first."""
        ...


class VisitorRepo(Protocol):
    """Tags, labels and cards set on a conversation's visitor."""

    def visitor_tags(self, conversation_id: int) -> list[VisitorTag]: ...

    def set_name_tag(self, conversation_id: int, name: str, now: int) -> None: ...

    def add_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None: ...

    def replace_tags(self, conversation_id: int, tags: Sequence[str], now: int) -> None: ...

    def visitor_labels(self, conversation_id: int) -> list[VisitorLabel]: ...

    def add_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None: ...

    def replace_labels(self, conversation_id: int, labels: Sequence[str], now: int) -> None: ...

    def visitor_cards(self, conversation_id: int) -> list[VisitorCard]: ...

    def upsert_card(self, conversation_id: int, data_id: str, data: str, now: int) -> None: ...


class ChatReports(Protocol):
    """Page filters and the listings and statistics that use them."""

    def insert_page_filter(self, values: Mapping[str, Any]) -> PageFilter: ...

    def list_page_filters(self, account_id: int) -> list[PageFilter]: ...

    def get_page_filters(self, account_id: int, ids: Sequence[int]) -> dict[int, PageFilter]: ...

    def delete_page_filter(self, filter_id: int) -> None: ...

    def list_conversations(
        self,
        account_id: int,
        started: Window,
        page_filters: Sequence[PageFilter],
        *,
        after_id: int,
        limit: int,
    ) -> list[ListedConversation]: ...

    def session_rows(
        self, account_id: int, filters: StatsFilter, *, after: tuple[int, int] | None, limit: int
    ) -> list[SessionRow]: ...


class PresenceRepo(Protocol):
    """Agents' chosen chat status and limit, and their console tabs' heartbeats."""

    def put_status(
        self, account_id: int, agent_id: int, changes: Mapping[str, Any], now: int
    ) -> None:
        """Insert or update the agent's row with `changes` (status, chat_limit)."""
        ...

    def statuses(self, account_id: int, since: int) -> list[AgentChatStatus]:
        """Every agent of the account that has a row or a tab, tabs counted from `since`."""
        ...

    def beat(self, account_id: int, agent_id: int, tab: str, active: bool, now: int) -> None: ...

    def close_tab(self, agent_id: int, tab: str) -> None: ...

    def forget_tabs(self, before: int) -> None:
        """Drop tabs not heard from since `before` (closed without saying so)."""
        ...

    def active_chats(self, account_id: int, agent_id: int) -> int: ...

    def chat_limit(self, agent_id: int) -> int | None: ...

    def active_counts(self, account_id: int) -> dict[int, int]:
        """Active chats per agent of the account (agents without any are left out)."""
        ...

    def offer_seconds(self, account_id: int) -> int | None: ...

    def put_offer_seconds(self, account_id: int, seconds: int, now: int) -> None: ...

    def chat_starts(self, session_ids: Sequence[int]) -> dict[int, int]:
        """When each of these chats (sessions) started."""
        ...


class ChatUnit(IdentityUnit, Protocol):
    @property
    def chat(self) -> ChatRepo: ...

    @property
    def visitors(self) -> VisitorRepo: ...

    @property
    def chat_reports(self) -> ChatReports: ...

    @property
    def presence(self) -> PresenceRepo: ...
