"""Live chat records and the storage port they come through (implemented by storage/chat_queries).

A *conversation* is one website visitor, named by a public id `V...` that the widget keeps
across page loads. Within it, a *session* is one chat: it starts with the first message
while no chat is open and ends when an agent or the visitor closes it. Statistics count
sessions; transcripts show the whole conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from frontdesk.core.shared.paging import Window


class ChatStatus(StrEnum):
    NEW = "new"  # the visitor has never chatted
    WAITING = "waiting"  # a chat is open and no agent has joined it
    ACTIVE = "active"  # a chat is open and an agent handles it
    CLOSED = "closed"  # the last chat was closed; the next message opens a new one


OPEN_CHAT = frozenset({ChatStatus.WAITING, ChatStatus.ACTIVE})


class Availability(StrEnum):
    """An agent's chat status: what they chose, and what the team sees."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class AgentChatStatus:
    """What an agent chose, with their open console tabs as last heard."""

    agent_id: int
    chosen: Availability
    chat_limit: int | None  # None: no limit
    live_tabs: int  # tabs heard from within the expiry
    active_tabs: int  # of those, tabs the agent used lately


class Sender(StrEnum):
    AGENT = "agent"
    VISITOR = "visitor"
    SYSTEM = "system"  # events such as visitorJoin, written as JSON text


class TagType(IntEnum):
    NAME = 0  # the visitor's name (changeName)
    TAG = 1  # a regular tag


class MatchType(StrEnum):
    """How a page filter's text is compared with the pages a visitor reported."""

    LIKE = "like"  # the URL contains the text (case-insensitive)
    EXACT = "exact"  # the URL is the text
    STARTS_WITH = "startsWith"  # the URL begins with the text


@dataclass(frozen=True, slots=True)
class VisitorInfo:
    """What the server learns about a visitor when the widget connects."""

    traffic_type: str = "Direct"  # Direct | Organic | the referring domain
    search_engine: str = ""  # Google | Bing | ... for organic traffic
    referrer: str | None = None
    browser: str = ""
    os: str = ""
    city: str | None = None  # None: the address database could not tell
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    account_id: int
    public_id: str
    status: ChatStatus
    agent_id: int | None  # who handles the open (or last) chat
    session_id: int | None  # the open chat, or the last one once closed
    visitor_name: str | None
    last_seq: int
    info: VisitorInfo
    exit_page: str | None
    last_visit: int
    created: int
    updated: int
    secret_hash: str = ""
    verified: int | None = None  # when the widget proved it runs in a browser


@dataclass(frozen=True, slots=True)
class ChatMessage:
    id: int
    account_id: int
    conversation_id: int
    session_id: int | None
    seq: int  # 1, 2, 3 ... within the conversation, in commit order
    sender: Sender
    agent_id: int | None
    from_name: str
    body: str
    created: int
    client_ref: str | None = None  # the widget's tag of a visitor message (resends match it)
    note: str | None = None  # agents only: a transfer's note for the agent taking over


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    conversation_id: int
    agent_id: int | None
    started: int
    closed: int | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class VisitorTag:
    type: TagType
    tag: str
    created: int


@dataclass(frozen=True, slots=True)
class VisitorLabel:
    label: str
    created: int


@dataclass(frozen=True, slots=True)
class VisitorCard:
    data_id: str
    data: str
    created: int
    updated: int


@dataclass(frozen=True, slots=True)
class PageView:
    """A page the visitor was on (a page load or an in-page navigation)."""

    url: str
    created: int


@dataclass(frozen=True, slots=True)
class PageFilter:
    id: int
    account_id: int
    search_name: str
    search_filter: str
    match_type: MatchType
    created: int


@dataclass(frozen=True, slots=True)
class ListedConversation:
    id: int
    public_id: str
    created: int


@dataclass(frozen=True, slots=True)
class StatsFilter:
    started: Window
    agent_ids: tuple[int, ...] = ()  # any of them; empty: every session
    conversation_ids: tuple[str, ...] = ()  # public ids; empty: every conversation
    page_filters: tuple[PageFilter, ...] = ()  # any of them


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """Message times of one chat session, from which the statistics are computed."""

    first_visitor: int | None  # the visitor's first message
    first_response: int | None  # the first agent message at or after first_visitor
    first_message: int | None  # the first visitor or agent message
    last_message: int | None  # the last visitor or agent message
    agent_messages: int


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One chat session with what chatStatistics prints about it."""

    session: Session
    conversation: Conversation
    agent_name: str | None
    agent_email: str | None
    labels: tuple[str, ...]
    tags: tuple[str, ...]
    figures: SessionFigures


LANGUAGES = ("en", "sv")  # the widget's own texts ship in these
POSITIONS = ("right", "left")


@dataclass(frozen=True, slots=True)
class WidgetTexts:
    """An account's own words for one language; None: the widget's shipped text."""

    greeting: str | None = None
    offline: str | None = None


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """How an account's widget looks and speaks, and where its offline messages go."""

    account_id: int
    team_name: str | None = None
    offline_inbox_id: int | None = None  # None, or an inbox gone since: the default inbox
    color: str | None = None  # "#rrggbb"; None: the widget's own blue
    position: str = "right"
    texts: tuple[tuple[str, WidgetTexts], ...] = ()  # (language, texts), in LANGUAGES order
    updated: int | None = None

    def texts_for(self, language: str) -> WidgetTexts:
        return dict(self.texts).get(language, WidgetTexts())


@dataclass(frozen=True, slots=True)
class WidgetAvailability:
    """What the widget tells a visitor about being answered (docs/chat.md, "Availability")."""

    agents_online: bool
    queue_position: int | None  # the visitor's place among the waiting chats, 1 = next
