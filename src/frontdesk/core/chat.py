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
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from frontdesk.core import events
from frontdesk.core.accounts import get_agent
from frontdesk.core.chat_records import (
    OPEN_CHAT,
    ChatMessage,
    ChatRepo,
    ChatStatus,
    Conversation,
    MatchType,
    PageFilter,
    Sender,
    VisitorCard,
    VisitorInfo,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.core.clock import now_ms
from frontdesk.core.errors import Conflict, Invalid, NotFound
from frontdesk.core.models import MAX_ROW_ID, Actor, Agent

MESSAGE_POSTED = "chat.message"
CHAT_CHANGED = "chat.changed"  # status or handling agent
VISITOR_CHANGED = "chat.visitor"  # name, tags, labels, cards
PAGE_FILTER_CHANGED = "chat.page_filter"

MAX_TEXT = 5000
MAX_NAME = 200
MAX_TAG = 200
MAX_CARD_ID = 100
MAX_CARD_DATA = 10_000
MAX_URL = 2000
MAX_TAGS = 100
MAX_TRANSCRIPT = 100_000
SYSTEM_NAME = "system"


@dataclass(frozen=True)
class Opened:
    conversation: Conversation
    token: str  # the visitor's secret, shown once; only its hash is stored


# -- identity --------------------------------------------------------------------------------


def new_public_id() -> str:
    """`V` and 20 digits, as the vendor's ids look; random, so not guessable."""
    return "V" + str(10**19 + secrets.randbelow(9 * 10**19))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_actor(conversation: Conversation) -> Actor:
    return Actor(account_id=conversation.account_id, label=f"visitor {conversation.public_id}")


# -- checks ----------------------------------------------------------------------------------


def _clean(value: str, field: str, limit: int) -> str:
    if "\x00" in value:
        raise Invalid("invalid_text", f"{field} contains a NUL character", field=field)
    value = value.strip()
    if not value:
        raise Invalid("required", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return value


def _text(value: str) -> str:
    return _clean(value, "text", MAX_TEXT)


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


def _rating(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise Invalid("invalid_rating", "rating must be a whole number from 1 to 5", field="rating")
    return value


# -- reading ---------------------------------------------------------------------------------


def get_conversation(repo: ChatRepo, actor: Actor, public_id: str) -> Conversation:
    found = repo.get_conversation(actor.account_id, public_id)
    if found is None:
        raise NotFound("conversation_not_found", f"No conversation {public_id[:40]}")
    return found


def _locked(repo: ChatRepo, actor: Actor, public_id: str) -> Conversation:
    found = repo.get_conversation(actor.account_id, public_id, lock=True)
    if found is None:
        raise NotFound("conversation_not_found", f"No conversation {public_id[:40]}")
    return found


# The readers below take a conversation already found with `get_conversation` (which checks
# the actor's account), so that one request looks it up once.


def transcript(repo: ChatRepo, conversation: Conversation) -> list[ChatMessage]:
    return repo.chat_messages(conversation.id, limit=MAX_TRANSCRIPT)


def messages_after(
    repo: ChatRepo, conversation: Conversation, *, after_id: int = 0, after_seq: int = 0
) -> list[ChatMessage]:
    """What a reconnecting client missed: messages after the last one it saw, in order."""
    if max(after_id, after_seq) > MAX_ROW_ID:
        return []  # past any id a row can have (and PostgreSQL would refuse to compare)
    return repo.chat_messages(
        conversation.id, after_id=after_id, after_seq=after_seq, limit=MAX_TRANSCRIPT
    )


def visitor_tags(repo: ChatRepo, conversation: Conversation) -> list[VisitorTag]:
    return repo.visitor_tags(conversation.id)


def visitor_labels(repo: ChatRepo, conversation: Conversation) -> list[VisitorLabel]:
    return repo.visitor_labels(conversation.id)


def visitor_cards(repo: ChatRepo, conversation: Conversation) -> list[VisitorCard]:
    return repo.visitor_cards(conversation.id)


def list_chats(
    repo: ChatRepo, actor: Actor, statuses: Iterable[ChatStatus], *, limit: int = 500
) -> list[Conversation]:
    """The account's chats in these states, most recently changed first."""
    return repo.list_chats(actor.account_id, sorted(set(statuses)), limit=limit)


# -- the visitor's side ----------------------------------------------------------------------


def open_conversation(
    repo: ChatRepo, account_id: int, info: VisitorInfo, page: str | None
) -> Opened:
    """A new visitor: a conversation with its secret, and a visitorJoin for its first page."""
    now = now_ms()
    token = secrets.token_urlsafe(24)
    conversation = repo.insert_conversation(
        {
            "account_id": account_id,
            "public_id": new_public_id(),
            "secret_hash": _hash(token),
            "status": ChatStatus.NEW.value,
            "last_seq": 0,
            "traffic_type": info.traffic_type,
            "search_engine": info.search_engine,
            "referrer": info.referrer,
            "browser": info.browser,
            "os": info.os,
            "city": info.city,
            "country": info.country,
            "last_visit": now,
            "created": now,
            "updated": now,
        }
    )
    actor = visitor_actor(conversation)
    events.record(repo, actor, "chat.opened", now, conversation=conversation.id)
    visit(repo, actor, conversation.public_id, page)
    return Opened(_reread(repo, conversation), token)


def resume_conversation(
    repo: ChatRepo, account_id: int, public_id: str, token: str
) -> Conversation | None:
    """The visitor's conversation if the token is its secret; None for anything else."""
    found = repo.get_conversation(account_id, public_id) if public_id else None
    expected = found.secret_hash if found else _hash("")
    matches = hmac.compare_digest(_hash(token), expected)  # the same work either way
    return found if found is not None and matches else None


def visit(
    repo: ChatRepo, actor: Actor, public_id: str, raw_url: str | None, *, kind: str = "visitorJoin"
) -> ChatMessage | None:
    """The visitor opened (visitorJoin) or moved to (pageChange) a page.

    A reconnect on the page the visitor is already on writes nothing but the visit time.
    """
    url = page_url(raw_url)
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    if url is None or url == conversation.exit_page:
        repo.update_conversation(conversation.id, {"last_visit": now})
        return None
    repo.insert_page_view(conversation.id, url, now)
    repo.update_conversation(conversation.id, {"exit_page": url, "last_visit": now})
    body = json.dumps({"type": kind, "currentPage": url}, separators=(",", ":"))
    return _append(repo, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now)


def post_visitor_message(
    repo: ChatRepo, actor: Actor, public_id: str, text: str, client_ref: str | None = None
) -> ChatMessage:
    """The visitor writes; with no chat open this starts one, waiting for an agent.

    A message with a `client_ref` the conversation already has is that same message again
    (the widget resends what was not acknowledged before a reconnect): nothing is written.
    """
    text = _text(text)
    conversation = _locked(repo, actor, public_id)
    if client_ref:
        known = repo.chat_message_by_ref(conversation.id, client_ref[:64])
        if known is not None:
            return known
    now = now_ms()
    if conversation.status not in OPEN_CHAT:
        conversation = _start_session(repo, actor, conversation, None, now)
    name = conversation.visitor_name or conversation.public_id
    return _append(repo, actor, conversation, Sender.VISITOR, None, name, text, now, client_ref)


def change_name(repo: ChatRepo, actor: Actor, public_id: str, name: str) -> Conversation:
    """The visitor's name (widget changeName); it is also the conversation's type 0 tag."""
    name = _clean(name, "name", MAX_NAME)
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.update_conversation(conversation.id, {"visitor_name": name, "updated": now})
    repo.set_name_tag(conversation.id, name, now)
    _visitor_changed(repo, actor, conversation, now, name=name)
    return _reread(repo, conversation)


def insert_card(
    repo: ChatRepo, actor: Actor, public_id: str, data_id: str, data: str
) -> VisitorCard:
    """Insert a card, or replace the data of the card with that id (widget insertCard)."""
    data_id = _clean(data_id, "id", MAX_CARD_ID)
    if "\x00" in data or len(data) > MAX_CARD_DATA:
        raise Invalid("invalid_card", f"Card data is text of at most {MAX_CARD_DATA} characters")
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.upsert_card(conversation.id, data_id, data, now)
    _visitor_changed(repo, actor, conversation, now, card=data_id)
    return next(card for card in repo.visitor_cards(conversation.id) if card.data_id == data_id)


def add_tag(repo: ChatRepo, actor: Actor, public_id: str, tag: str) -> None:
    tag = _clean(tag, "tag", MAX_TAG)
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.add_tags(conversation.id, [tag], now)
    _visitor_changed(repo, actor, conversation, now, tag=tag)


def add_label(repo: ChatRepo, actor: Actor, public_id: str, label: str) -> None:
    label = _clean(label, "label", MAX_TAG)
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.add_labels(conversation.id, [label], now)
    _visitor_changed(repo, actor, conversation, now, label=label)


def rate(repo: ChatRepo, actor: Actor, public_id: str, rating: int) -> ChatMessage:
    """The visitor rates the current or last chat, once an agent has answered in it."""
    rating = _rating(rating)
    conversation = _locked(repo, actor, public_id)
    session_id = conversation.session_id
    if session_id is None or not repo.session_has_agent_message(session_id):
        raise Conflict("nothing_to_rate", "A chat can be rated once an agent has answered")
    now = now_ms()
    repo.update_session(session_id, {"rating": rating})
    body = json.dumps({"type": "rating", "rating": rating}, separators=(",", ":"))
    return _append(repo, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now)


# -- the agents' side --------------------------------------------------------------------------


def join(repo: ChatRepo, actor: Actor, public_id: str, agent_id: int) -> Conversation:
    """An agent takes a waiting chat. Joining one's own chat again changes nothing."""
    agent = get_agent(repo, actor, agent_id)
    conversation = _locked(repo, actor, public_id)
    if conversation.status is ChatStatus.ACTIVE and conversation.agent_id == agent.id:
        return conversation
    if conversation.status is not ChatStatus.WAITING:
        raise Conflict(
            "chat_not_waiting",
            f"This chat is {conversation.status.value}; only a waiting chat can be joined"
            + (
                " (transfer moves an active one)"
                if conversation.status is ChatStatus.ACTIVE
                else ""
            ),
        )
    return _hand_to(repo, actor, conversation, agent, {"type": "agentJoin"})


def agent_reply(
    repo: ChatRepo, actor: Actor, public_id: str, agent_id: int, text: str
) -> ChatMessage:
    """An agent writes. A waiting chat is joined first; with no chat open, one is started."""
    agent = get_agent(repo, actor, agent_id)
    text = _text(text)
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    if conversation.status not in OPEN_CHAT:
        conversation = _start_session(repo, actor, conversation, agent, now)
    elif conversation.status is ChatStatus.WAITING:
        conversation = _hand_to(repo, actor, conversation, agent, {"type": "agentJoin"})
    return _append(repo, actor, conversation, Sender.AGENT, agent.id, agent.name, text, now)


def transfer(
    repo: ChatRepo, actor: Actor, public_id: str, agent_id: int, to_agent_id: int
) -> Conversation:
    """Hand an active chat to another agent of the account."""
    by = get_agent(repo, actor, agent_id)
    to = get_agent(repo, actor, to_agent_id)
    conversation = _locked(repo, actor, public_id)
    if conversation.status is not ChatStatus.ACTIVE:
        raise Conflict("chat_not_active", f"This chat is {conversation.status.value}, not active")
    if conversation.agent_id == to.id:
        return conversation
    event = {"type": "transfer", "fromAgentId": conversation.agent_id, "byAgentId": by.id}
    return _hand_to(repo, actor, conversation, to, event)


def close(repo: ChatRepo, actor: Actor, public_id: str, agent_id: int | None) -> Conversation:
    """End the open chat; `agent_id` None means the visitor ended it."""
    agent = get_agent(repo, actor, agent_id) if agent_id is not None else None
    conversation = _locked(repo, actor, public_id)
    if conversation.status not in OPEN_CHAT or conversation.session_id is None:
        raise Conflict("chat_not_open", f"This chat is {conversation.status.value}, not open")
    now = now_ms()
    repo.update_session(conversation.session_id, {"closed": now})
    repo.update_conversation(conversation.id, {"status": ChatStatus.CLOSED.value, "updated": now})
    event: dict[str, Any] = {"type": "chatClosed", "by": "agent" if agent else "visitor"}
    if agent is not None:
        event["agentId"] = agent.id
    _system(repo, actor, conversation, event, now)
    return _changed(repo, actor, conversation, now)


def set_tags(repo: ChatRepo, actor: Actor, public_id: str, tags: Iterable[str]) -> Conversation:
    """Replace the regular (type 1) tags; the name tag stays. Returns the conversation."""
    chosen = _unique(tags, "tag")
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.replace_tags(conversation.id, chosen, now)
    _visitor_changed(repo, actor, conversation, now, tags=chosen)
    return conversation


def set_labels(repo: ChatRepo, actor: Actor, public_id: str, labels: Iterable[str]) -> Conversation:
    chosen = _unique(labels, "label")
    conversation = _locked(repo, actor, public_id)
    now = now_ms()
    repo.replace_labels(conversation.id, chosen, now)
    _visitor_changed(repo, actor, conversation, now, labels=chosen)
    return conversation


def agent_seen(repo: ChatRepo, actor: Actor, agent: Agent) -> None:
    """Stamp an agent's last activity, at most once a minute (grabAgent agentLastActive)."""
    now = now_ms()
    if agent.last_active is None or now - agent.last_active > 60_000:
        repo.update_agent(agent.id, {"last_active": now})


def _unique(values: Iterable[str], field: str) -> list[str]:
    chosen = list(dict.fromkeys(_clean(value, field, MAX_TAG) for value in values))
    if len(chosen) > MAX_TAGS:
        raise Invalid(f"too_many_{field}s", f"At most {MAX_TAGS} {field}s", field=field)
    return chosen


# -- page filters ------------------------------------------------------------------------------


def create_page_filter(
    repo: ChatRepo, actor: Actor, search_name: str, search_filter: str, match_type: str
) -> PageFilter:
    try:
        match = MatchType(match_type)
    except ValueError:
        words = " | ".join(kind.value for kind in MatchType)
        raise Invalid(
            "invalid_match_type", f"matchType must be one of {words}", field="matchType"
        ) from None
    now = now_ms()
    created = repo.insert_page_filter(
        {
            "account_id": actor.account_id,
            "search_name": _clean(search_name, "searchName", MAX_NAME),
            "search_filter": _clean(search_filter, "searchFilter", MAX_URL),
            "match_type": match.value,
            "created": now,
        }
    )
    events.record(repo, actor, PAGE_FILTER_CHANGED, now, id=created.id, created=True)
    return created


def list_page_filters(repo: ChatRepo, actor: Actor) -> list[PageFilter]:
    return repo.list_page_filters(actor.account_id)


def page_filters(repo: ChatRepo, actor: Actor, ids: Iterable[int]) -> tuple[PageFilter, ...]:
    """The account's filters with these ids; any id that is not one of them is not found."""
    wanted = sorted(set(ids))
    found = repo.get_page_filters(actor.account_id, wanted)
    for filter_id in wanted:
        if filter_id not in found:
            raise NotFound(
                "page_filter_not_found", f"No page filter {filter_id}", field="pageFilterId"
            )
    return tuple(found[filter_id] for filter_id in wanted)


def delete_page_filter(repo: ChatRepo, actor: Actor, filter_id: int) -> None:
    (found,) = page_filters(repo, actor, [filter_id])
    repo.delete_page_filter(found.id)
    events.record(repo, actor, PAGE_FILTER_CHANGED, now_ms(), id=found.id, deleted=True)


# -- internals ---------------------------------------------------------------------------------


def _reread(repo: ChatRepo, conversation: Conversation) -> Conversation:
    found = repo.get_conversation_by_id(conversation.id)
    assert found is not None  # read in the transaction that holds it
    return found


def _start_session(
    repo: ChatRepo, actor: Actor, conversation: Conversation, agent: Agent | None, now: int
) -> Conversation:
    session = repo.insert_session(
        {
            "account_id": conversation.account_id,
            "conversation_id": conversation.id,
            "agent_id": agent.id if agent else None,
            "started": now,
        }
    )
    status = ChatStatus.ACTIVE if agent else ChatStatus.WAITING
    repo.update_conversation(
        conversation.id,
        {
            "status": status.value,
            "session_id": session.id,
            "agent_id": agent.id if agent else None,
            "updated": now,
        },
    )
    fresh = _reread(repo, conversation)
    if agent is not None:
        _system(repo, actor, fresh, {"type": "agentJoin", "agentId": agent.id}, now)
    return _changed(repo, actor, fresh, now)


def _hand_to(
    repo: ChatRepo,
    actor: Actor,
    conversation: Conversation,
    agent: Agent,
    event: dict[str, Any],
) -> Conversation:
    now = now_ms()
    assert conversation.session_id is not None  # open chats have a session
    repo.update_session(conversation.session_id, {"agent_id": agent.id})
    repo.update_conversation(
        conversation.id,
        {"status": ChatStatus.ACTIVE.value, "agent_id": agent.id, "updated": now},
    )
    _system(repo, actor, conversation, {**event, "agentId": agent.id}, now)
    return _changed(repo, actor, conversation, now)


def _changed(repo: ChatRepo, actor: Actor, conversation: Conversation, now: int) -> Conversation:
    fresh = _reread(repo, conversation)
    agent = repo.get_agent(fresh.account_id, fresh.agent_id) if fresh.agent_id else None
    events.record(
        repo,
        actor,
        CHAT_CHANGED,
        now,
        conversation=fresh.id,
        public_id=fresh.public_id,
        status=fresh.status.value,
        agent_id=fresh.agent_id,
        agent_name=agent.name if agent else None,
        visitor_name=fresh.visitor_name,
    )
    return fresh


def _visitor_changed(
    repo: ChatRepo, actor: Actor, conversation: Conversation, now: int, **what: object
) -> None:
    """Name, tags, labels or cards changed; `what` says which, for the agents' screens."""
    events.record(
        repo,
        actor,
        VISITOR_CHANGED,
        now,
        conversation=conversation.id,
        public_id=conversation.public_id,
        change=what,
    )


def _system(
    repo: ChatRepo, actor: Actor, conversation: Conversation, event: dict[str, Any], now: int
) -> ChatMessage:
    body = json.dumps(event, separators=(",", ":"))
    return _append(repo, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now)


def _append(
    repo: ChatRepo,
    actor: Actor,
    conversation: Conversation,
    sender: Sender,
    agent_id: int | None,
    from_name: str,
    body: str,
    now: int,
    client_ref: str | None = None,
) -> ChatMessage:
    seq = repo.take_seq(conversation.id, now)
    message = repo.insert_chat_message(
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
        }
    )
    events.record(
        repo,
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
    }
