"""What the agents' chat console shows: the queue board and one conversation's desk.

Reads only; every change goes through the named functions of the package (join, reply,
transfer, close, tags, labels). A desk is a fixed handful of queries whatever the chat's
length (the transcript is one query, bounded by MAX_TRANSCRIPT).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from frontdesk.core.chat._base import get_conversation, list_chats, transcript
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    OPEN_CHAT,
    ChatMessage,
    ChatStatus,
    Conversation,
    PageView,
    Sender,
    Session,
    TagType,
    VisitorCard,
)
from frontdesk.core.identity.accounts import get_agent
from frontdesk.core.shared.records import Actor

BOARD_LIMIT = 200  # waiting and active chats shown at once; a longer queue shows its newest
PAGES_SHOWN = 20  # the visitor's latest pages on the panel
EARLIER_SHOWN = 10  # the visitor's earlier chats on the panel
EMAIL_CARDS = frozenset({"email", "e-mail", "mail"})


@dataclass(frozen=True, slots=True)
class Board:
    """The console's left column for one agent."""

    waiting: list[Conversation]  # oldest first: the longest wait is served first
    mine: list[Conversation]  # the agent's active chats, most recently changed first
    others: list[Conversation]  # active chats of colleagues


@dataclass(frozen=True, slots=True)
class Line:
    """One entry of a transcript as an agent reads it."""

    id: int
    seq: int
    sender: Sender
    author: str
    agent_id: int | None
    text: str  # the message; empty for a system event
    created: int
    event: dict[str, Any] = field(default_factory=dict)  # a system message's event
    note: str | None = None  # a transfer's note for the agent taking over (agents only)


@dataclass(frozen=True, slots=True)
class ChatDesk:
    """One conversation with everything the visitor panel shows."""

    conversation: Conversation
    lines: list[Line]
    tags: list[str]
    labels: list[str]
    cards: list[VisitorCard]
    pages: list[PageView]  # newest first
    agent_names: dict[int, str]
    earlier: list[Session] = field(default_factory=list)  # the visitor's other chats, newest first

    @property
    def email_hint(self) -> str:
        """The visitor's e-mail when the host page set it as a card ("email" or "e-mail")."""
        for card in self.cards:
            if card.data_id.lower() in EMAIL_CARDS and "@" in card.data:
                return card.data.strip()
        return ""

    @property
    def current_page(self) -> str | None:
        return self.pages[0].url if self.pages else self.conversation.exit_page


def board(uow: ChatUnit, actor: Actor, agent_id: int) -> Board:
    """Waiting chats, the agent's active ones, and the colleagues' active ones."""
    get_agent(uow, actor, agent_id)
    chats = list_chats(uow, actor, (ChatStatus.WAITING, ChatStatus.ACTIVE), limit=BOARD_LIMIT)
    waiting = sorted(
        (chat for chat in chats if chat.status is ChatStatus.WAITING),
        key=lambda chat: (chat.updated, chat.id),
    )
    active = [chat for chat in chats if chat.status is ChatStatus.ACTIVE]
    return Board(
        waiting=waiting,
        mine=[chat for chat in active if chat.agent_id == agent_id],
        others=[chat for chat in active if chat.agent_id != agent_id],
    )


def chat_desk(uow: ChatUnit, actor: Actor, public_id: str) -> ChatDesk:
    """The conversation, its transcript and the visitor panel; another account's is a 404."""
    conversation = get_conversation(uow, actor, public_id)
    tags = uow.visitors.visitor_tags(conversation.id)
    return ChatDesk(
        conversation=conversation,
        lines=[line_of(message) for message in transcript(uow, conversation)],
        tags=[tag.tag for tag in tags if tag.type is TagType.TAG],
        labels=[label.label for label in uow.visitors.visitor_labels(conversation.id)],
        cards=uow.visitors.visitor_cards(conversation.id),
        pages=uow.chat.page_views(conversation.id, limit=PAGES_SHOWN),
        earlier=[
            session
            for session in uow.chat.sessions_of(conversation.id, limit=EARLIER_SHOWN + 1)
            if session.id != conversation.session_id or conversation.status not in OPEN_CHAT
        ][:EARLIER_SHOWN],
        agent_names={agent.id: agent.name for agent in uow.accounts.list_agents(actor.account_id)},
    )


def line_of(message: ChatMessage) -> Line:
    """A stored message as a transcript line; a system message's JSON becomes its event."""
    event: dict[str, Any] = {}
    text = message.body
    if message.sender is Sender.SYSTEM:
        text = ""
        try:
            parsed = json.loads(message.body)
        except ValueError:
            parsed = None
        event = parsed if isinstance(parsed, dict) else {"type": "unknown"}
    return Line(
        id=message.id,
        seq=message.seq,
        sender=message.sender,
        author=message.from_name,
        agent_id=message.agent_id,
        text=text,
        created=message.created,
        event=event,
        note=message.note,
    )
