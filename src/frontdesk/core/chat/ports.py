"""What the chat area needs from storage: conversations and their messages, what is set on
a visitor, and the reports (page filters, listings, statistics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.chat.records import (
    ChatMessage,
    ChatStatus,
    Conversation,
    ListedConversation,
    PageFilter,
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

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> None: ...

    def insert_chat_message(self, values: Mapping[str, Any]) -> ChatMessage: ...

    def chat_messages(
        self, conversation_id: int, *, after_id: int = 0, after_seq: int = 0, limit: int
    ) -> list[ChatMessage]: ...

    def chat_message_by_ref(self, conversation_id: int, client_ref: str) -> ChatMessage | None: ...

    def session_has_agent_message(self, session_id: int) -> bool: ...

    def insert_page_view(self, conversation_id: int, url: str, now: int) -> None: ...


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


class ChatUnit(IdentityUnit, Protocol):
    @property
    def chat(self) -> ChatRepo: ...

    @property
    def visitors(self) -> VisitorRepo: ...

    @property
    def chat_reports(self) -> ChatReports: ...
