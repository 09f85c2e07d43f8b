"""Live chat: conversations, their messages and everything set on a visitor.

Every change is a named function that records an event in its transaction; the chat hub
hears the events after commit and pushes them to the websockets. Functions that change a
conversation lock its row first (take_seq or a locking read), so on PostgreSQL two
writers to one conversation take turns and message ids follow commit order within it:
a client that resumes "after id N" can never miss a message that committed later with a
smaller id.

Sender rules (as the ImBox transcript prints them): agent messages carry the agent id,
visitor messages agent id 0, system events (visitorJoin, agentJoin, ...) null, with the
event as JSON text in the body.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    ChatMessage,
    ChatStatus,
    Conversation,
    Sender,
    VisitorCard,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import MAX_ROW_ID, Actor
from frontdesk.core.shared.text import check_text

MESSAGE_POSTED = "chat.message"


CHAT_CHANGED = "chat.changed"  # status or handling agent


VISITOR_CHANGED = "chat.visitor"  # name, tags, labels, cards


PAGE_FILTER_CHANGED = "chat.page_filter"


MAX_TEXT = 5000
MAX_NOTE = 1000  # a transfer's note: a few lines for a colleague, not a second transcript


MAX_NAME = 200


MAX_TAG = 200


MAX_CARD_ID = 100


MAX_CARD_DATA = 10_000


MAX_URL = 2000


MAX_TAGS = 100


MAX_TRANSCRIPT = 100_000


SYSTEM_NAME = "system"


def new_public_id() -> str:
    """`V` and 20 digits, as the vendor's ids look; random, so not guessable."""
    return "V" + str(10**19 + secrets.randbelow(9 * 10**19))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_actor(conversation: Conversation) -> Actor:
    return Actor(account_id=conversation.account_id, label=f"visitor {conversation.public_id}")


def clean(value: str, field: str, limit: int) -> str:
    value = check_text(value, field).strip()
    if not value:
        raise Invalid("required", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return value


def chat_text(value: str) -> str:
    return clean(value, "text", MAX_TEXT)


def transfer_note(value: str | None) -> str | None:
    """A transfer's note: optional (blank is none), at most MAX_NOTE characters."""
    if value is None or not check_text(value, "note").strip():
        return None
    return clean(value, "note", MAX_NOTE)


def page_url(raw: str | None) -> str | None:
    """An http(s) URL as reported by the widget, cut to MAX_URL; anything else is None."""
    if not raw or "\x00" in raw:
        return None
    value = raw.strip()[:MAX_URL]
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def checked_rating(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise Invalid("invalid_rating", "rating must be a whole number from 1 to 5", field="rating")
    return value


def get_conversation(uow: ChatUnit, actor: Actor, public_id: str) -> Conversation:
    found = uow.chat.get_conversation(actor.account_id, public_id)
    if found is None:
        raise NotFound("conversation_not_found", f"No conversation {public_id[:40]}")
    return found


def conversation_by_id(uow: ChatUnit, actor: Actor, conversation_id: int) -> Conversation:
    """The account's conversation by its row id, as events name it (webhook bodies)."""
    found = uow.chat.get_conversation_by_id(conversation_id)
    if found is None or found.account_id != actor.account_id:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}")
    return found


def locked_conversation(uow: ChatUnit, actor: Actor, public_id: str) -> Conversation:
    found = uow.chat.get_conversation(actor.account_id, public_id, lock=True)
    if found is None:
        raise NotFound("conversation_not_found", f"No conversation {public_id[:40]}")
    return found


def transcript(uow: ChatUnit, conversation: Conversation) -> list[ChatMessage]:
    return uow.chat.chat_messages(conversation.id, limit=MAX_TRANSCRIPT)


def messages_after(
    uow: ChatUnit, conversation: Conversation, *, after_id: int = 0, after_seq: int = 0
) -> list[ChatMessage]:
    """What a reconnecting client missed: messages after the last one it saw, in order."""
    if max(after_id, after_seq) > MAX_ROW_ID:
        return []  # past any id a row can have (and PostgreSQL would refuse to compare)
    return uow.chat.chat_messages(
        conversation.id, after_id=after_id, after_seq=after_seq, limit=MAX_TRANSCRIPT
    )


def visitor_tags(uow: ChatUnit, conversation: Conversation) -> list[VisitorTag]:
    return uow.visitors.visitor_tags(conversation.id)


def visitor_labels(uow: ChatUnit, conversation: Conversation) -> list[VisitorLabel]:
    return uow.visitors.visitor_labels(conversation.id)


def visitor_cards(uow: ChatUnit, conversation: Conversation) -> list[VisitorCard]:
    return uow.visitors.visitor_cards(conversation.id)


def list_chats(
    uow: ChatUnit, actor: Actor, statuses: Iterable[ChatStatus], *, limit: int = 500
) -> list[Conversation]:
    """The account's chats in these states, most recently changed first."""
    return uow.chat.list_chats(actor.account_id, sorted(set(statuses)), limit=limit)


def unique_words(values: Iterable[str], field: str) -> list[str]:
    chosen = list(dict.fromkeys(clean(value, field, MAX_TAG) for value in values))
    if len(chosen) > MAX_TAGS:
        raise Invalid(f"too_many_{field}s", f"At most {MAX_TAGS} {field}s", field=field)
    return chosen


def reread(uow: ChatUnit, conversation: Conversation) -> Conversation:
    found = uow.chat.get_conversation_by_id(conversation.id)
    assert found is not None  # read in the transaction that holds it
    return found


def start_session(
    uow: ChatUnit, actor: Actor, conversation: Conversation, agent: Agent | None, now: int
) -> Conversation:
    session = uow.chat.insert_session(
        {
            "account_id": conversation.account_id,
            "conversation_id": conversation.id,
            "agent_id": agent.id if agent else None,
            "started": now,
        }
    )
    status = ChatStatus.ACTIVE if agent else ChatStatus.WAITING
    uow.chat.update_conversation(
        conversation.id,
        {
            "status": status.value,
            "session_id": session.id,
            "agent_id": agent.id if agent else None,
            "updated": now,
        },
    )
    fresh = reread(uow, conversation)
    if agent is not None:
        joined = {"type": "agentJoin", "agentId": agent.id, "agentName": agent.name}
        system_message(uow, actor, fresh, joined, now)
    return conversation_changed(uow, actor, fresh, now)


def hand_to(
    uow: ChatUnit,
    actor: Actor,
    conversation: Conversation,
    agent: Agent,
    event: dict[str, Any],
    note: str | None = None,
) -> Conversation:
    now = now_ms()
    assert conversation.session_id is not None  # open chats have a session
    uow.chat.update_session(conversation.session_id, {"agent_id": agent.id})
    uow.chat.update_conversation(
        conversation.id,
        {"status": ChatStatus.ACTIVE.value, "agent_id": agent.id, "updated": now},
    )
    # The name as it was then: the widget says "Ada joined" from the transcript alone.
    handed = {**event, "agentId": agent.id, "agentName": agent.name}
    system_message(uow, actor, conversation, handed, now, note=note)
    return conversation_changed(uow, actor, conversation, now)


def conversation_changed(
    uow: ChatUnit, actor: Actor, conversation: Conversation, now: int
) -> Conversation:
    fresh = reread(uow, conversation)
    agent = accounts.find_agent(uow, fresh.account_id, fresh.agent_id) if fresh.agent_id else None
    events.record(
        uow,
        actor,
        CHAT_CHANGED,
        now,
        conversation=fresh.id,
        public_id=fresh.public_id,
        status=fresh.status.value,
        agent_id=fresh.agent_id,
        agent_name=agent.name if agent else None,
        agent_picture=agent.picture_url if agent else None,
        visitor_name=fresh.visitor_name,
    )
    return fresh


def visitor_changed(
    uow: ChatUnit, actor: Actor, conversation: Conversation, now: int, **what: object
) -> None:
    """Name, tags, labels or cards changed; `what` says which, for the agents' screens."""
    events.record(
        uow,
        actor,
        VISITOR_CHANGED,
        now,
        conversation=conversation.id,
        public_id=conversation.public_id,
        change=what,
    )


def system_message(
    uow: ChatUnit,
    actor: Actor,
    conversation: Conversation,
    event: dict[str, Any],
    now: int,
    *,
    note: str | None = None,
) -> ChatMessage:
    body = json.dumps(event, separators=(",", ":"))
    return append_message(
        uow, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now, note=note
    )


def append_message(
    uow: ChatUnit,
    actor: Actor,
    conversation: Conversation,
    sender: Sender,
    agent_id: int | None,
    from_name: str,
    body: str,
    now: int,
    client_ref: str | None = None,
    *,
    note: str | None = None,
) -> ChatMessage:
    seq = uow.chat.take_seq(conversation.id, now)
    message = uow.chat.insert_chat_message(
        {
            "account_id": conversation.account_id,
            "conversation_id": conversation.id,
            "session_id": conversation.session_id,
            "seq": seq,
            "sender": sender.value,
            "agent_id": agent_id,
            "from_name": from_name[:300],
            "body": body,
            "created": now,
            "client_ref": client_ref[:64] if client_ref else None,
            "note": note,
        }
    )
    events.record(
        uow,
        actor,
        MESSAGE_POSTED,
        now,
        conversation=conversation.id,
        public_id=conversation.public_id,
        message=message_payload(message),
    )
    return message


def sender_number(sender: Sender | str, agent_id: int | None) -> int | None:
    """The sender as the transcript numbers it: the agent's id, 0 the visitor, None the system."""
    if sender == Sender.VISITOR:
        return 0
    if sender == Sender.SYSTEM:
        return None
    return agent_id


def message_payload(message: ChatMessage) -> dict[str, Any]:
    """A message as the hub carries it between processes (JSON-safe)."""
    return {
        "id": message.id,
        "seq": message.seq,
        "sender": message.sender.value,
        "agent_id": message.agent_id,
        "from": message.from_name,
        "body": message.body,
        "created": message.created,
        "client_ref": message.client_ref,
    }
