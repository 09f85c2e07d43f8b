"""The visitor's side of a chat: opening, resuming, writing, and what the widget sets."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from frontdesk.core.chat._base import (
    MAX_CARD_DATA,
    MAX_CARD_ID,
    MAX_NAME,
    MAX_TAG,
    MAX_TEXT,
    SYSTEM_NAME,
    append_message,
    chat_text,
    checked_rating,
    clean,
    locked_conversation,
    new_public_id,
    page_url,
    reread,
    start_session,
    token_hash,
    visitor_actor,
    visitor_changed,
)
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    OPEN_CHAT,
    ChatMessage,
    ChatStatus,
    Conversation,
    Sender,
    TagType,
    VisitorCard,
    VisitorInfo,
)
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import check_text


@dataclass(frozen=True)
class Opened:
    conversation: Conversation
    token: str  # the visitor's secret, shown once; only its hash is stored


def open_conversation(
    uow: ChatUnit, account_id: int, info: VisitorInfo, page: str | None
) -> Opened:
    """A new visitor: a conversation with its secret, and a visitorJoin for its first page."""
    now = now_ms()
    token = secrets.token_urlsafe(24)
    conversation = uow.chat.insert_conversation(
        {
            "account_id": account_id,
            "public_id": new_public_id(),
            "secret_hash": token_hash(token),
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
    events.record(uow, actor, "chat.opened", now, conversation=conversation.id)
    visit(uow, actor, conversation.public_id, page)
    return Opened(reread(uow, conversation), token)


def resume_conversation(
    uow: ChatUnit, account_id: int, public_id: str, token: str
) -> Conversation | None:
    """The visitor's conversation if the token is its secret; None for anything else."""
    found = uow.chat.get_conversation(account_id, public_id) if public_id else None
    expected = found.secret_hash if found else token_hash("")
    matches = hmac.compare_digest(token_hash(token), expected)  # the same work either way
    return found if found is not None and matches else None


def visit(
    uow: ChatUnit, actor: Actor, public_id: str, raw_url: str | None, *, kind: str = "visitorJoin"
) -> ChatMessage | None:
    """The visitor opened (visitorJoin) or moved to (pageChange) a page.

    A reconnect on the page the visitor is already on writes nothing but the visit time.
    A page load whose address is not http(s) (a file opened locally) is still a visit;
    a page change to such an address is refused, as the widget only reports web pages.
    """
    url = page_url(raw_url)
    if url is None and kind == "pageChange":
        raise Invalid("invalid_url", "url must be an http or https URL", field="url")
    conversation = locked_conversation(uow, actor, public_id)
    now = now_ms()
    if url is None or url == conversation.exit_page:
        uow.chat.update_conversation(conversation.id, {"last_visit": now})
        return None
    uow.chat.insert_page_view(conversation.id, url, now)
    uow.chat.update_conversation(conversation.id, {"exit_page": url, "last_visit": now})
    body = json.dumps({"type": kind, "currentPage": url}, separators=(",", ":"))
    return append_message(uow, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now)


def post_visitor_message(
    uow: ChatUnit,
    actor: Actor,
    public_id: str,
    text: str,
    client_ref: str | None = None,
    admit: Callable[[Conversation], None] | None = None,
) -> ChatMessage:
    """The visitor writes; with no chat open this starts one, waiting for an agent.

    A message with a `client_ref` the conversation already has is that same message again
    (the widget resends what was not acknowledged before a reconnect): nothing is written.
    `admit` is asked before a new chat enters the agents' queue, and may refuse it by
    raising (the transport's flood limits and browser proof); nothing is written then.
    """
    text = chat_text(text)
    conversation = locked_conversation(uow, actor, public_id)
    if client_ref:
        known = uow.chat.chat_message_by_ref(conversation.id, client_ref[:64])
        if known is not None:
            return known
    now = now_ms()
    if conversation.status not in OPEN_CHAT:
        if admit is not None:
            admit(conversation)
        conversation = start_session(uow, actor, conversation, None, now)
    name = conversation.visitor_name or conversation.public_id
    return append_message(
        uow, actor, conversation, Sender.VISITOR, None, name, text, now, client_ref
    )


def prove_browser(uow: ChatUnit, actor: Actor, public_id: str) -> Conversation:
    """The widget proved it runs in a browser (chat/proof.py checks how); once is enough."""
    conversation = locked_conversation(uow, actor, public_id)
    if conversation.verified is not None:
        return conversation
    now = now_ms()
    uow.chat.update_conversation(conversation.id, {"verified": now})
    events.record(uow, actor, "chat.verified", now, conversation=conversation.id)
    return reread(uow, conversation)


def change_name(uow: ChatUnit, actor: Actor, public_id: str, name: str) -> Conversation:
    """The visitor's name (widget changeName); it is also the conversation's type 0 tag."""
    name = clean(name, "name", MAX_NAME)
    conversation = locked_conversation(uow, actor, public_id)
    if conversation.visitor_name == name:
        return conversation  # the host page says it again on every load: nothing changed
    now = now_ms()
    uow.chat.update_conversation(conversation.id, {"visitor_name": name, "updated": now})
    uow.visitors.set_name_tag(conversation.id, name, now)
    visitor_changed(uow, actor, conversation, now, name=name)
    return reread(uow, conversation)


def insert_card(
    uow: ChatUnit, actor: Actor, public_id: str, data_id: str, data: str
) -> VisitorCard:
    """Insert a card, or replace the data of the card with that id (widget insertCard)."""
    data_id = clean(data_id, "id", MAX_CARD_ID)
    if "\x00" in data or len(data) > MAX_CARD_DATA:
        raise Invalid("invalid_card", f"Card data is text of at most {MAX_CARD_DATA} characters")
    conversation = locked_conversation(uow, actor, public_id)
    known = _card(uow, conversation, data_id)
    if known is not None and known.data == data:
        return known  # resent on every page load: its updatedDate must not move
    now = now_ms()
    uow.visitors.upsert_card(conversation.id, data_id, data, now)
    visitor_changed(uow, actor, conversation, now, card=data_id)
    card = _card(uow, conversation, data_id)
    assert card is not None  # written just above, in this transaction
    return card


def _card(uow: ChatUnit, conversation: Conversation, data_id: str) -> VisitorCard | None:
    cards = uow.visitors.visitor_cards(conversation.id)
    return next((card for card in cards if card.data_id == data_id), None)


def add_tag(uow: ChatUnit, actor: Actor, public_id: str, tag: str) -> None:
    tag = clean(tag, "tag", MAX_TAG)
    conversation = locked_conversation(uow, actor, public_id)
    known = uow.visitors.visitor_tags(conversation.id)
    if any(t.type is TagType.TAG and t.tag == tag for t in known):
        return  # already set: no write, no event, its date stays
    now = now_ms()
    uow.visitors.add_tags(conversation.id, [tag], now)
    visitor_changed(uow, actor, conversation, now, tag=tag)


def add_label(uow: ChatUnit, actor: Actor, public_id: str, label: str) -> None:
    label = clean(label, "label", MAX_TAG)
    conversation = locked_conversation(uow, actor, public_id)
    if any(known.label == label for known in uow.visitors.visitor_labels(conversation.id)):
        return  # already set: no write, no event, its date stays
    now = now_ms()
    uow.visitors.add_labels(conversation.id, [label], now)
    visitor_changed(uow, actor, conversation, now, label=label)


def rate(uow: ChatUnit, actor: Actor, public_id: str, rating: int) -> ChatMessage:
    """The visitor rates the current or last chat, once an agent has answered in it; once."""
    rating = checked_rating(rating)
    conversation = locked_conversation(uow, actor, public_id)
    session_id = conversation.session_id
    if session_id is None or not uow.chat.session_has_agent_message(session_id):
        raise Conflict("nothing_to_rate", "A chat can be rated once an agent has answered")
    session = uow.chat.get_session(session_id)
    if session is not None and session.rating is not None:
        raise Conflict("already_rated", "This chat has already been rated")
    now = now_ms()
    uow.chat.update_session(session_id, {"rating": rating})
    body = json.dumps({"type": "rating", "rating": rating}, separators=(",", ":"))
    return append_message(uow, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now)


def can_rate(uow: ChatUnit, conversation: Conversation) -> bool:
    """Whether the widget should offer the rating: the last chat ended, an agent answered
    in it, and it has no rating yet (so a reload does not bring the stars back)."""
    session_id = conversation.session_id
    if conversation.status is not ChatStatus.CLOSED or session_id is None:
        return False
    session = uow.chat.get_session(session_id)
    return (
        session is not None
        and session.rating is None
        and uow.chat.session_has_agent_message(session_id)
    )


@dataclass(frozen=True)
class OfflineForm:
    """A message left in the widget while no agent is online (it becomes a ticket)."""

    name: str
    email: str
    message: str


def offline_form(name: str, email: str, message: str) -> OfflineForm:
    """The form's three fields checked, each error naming its field."""
    return OfflineForm(
        name=clean(name, "name", MAX_NAME),
        email=normalise_address(check_text(email, "email"), field="email"),
        message=clean(message, "message", MAX_TEXT),
    )


def offline_ticket_by_ref(
    uow: ChatUnit, actor: Actor, public_id: str, client_ref: str | None
) -> int | None:
    """The ticket a form sent again after a reconnect already made (its ref is known)."""
    if not client_ref:
        return None
    conversation = locked_conversation(uow, actor, public_id)
    known = uow.chat.chat_message_by_ref(conversation.id, client_ref[:64])
    if known is None:
        return None
    ticket_id = json.loads(known.body).get("ticketId")
    return ticket_id if isinstance(ticket_id, int) else None


def offline_message_left(
    uow: ChatUnit, actor: Actor, public_id: str, ticket_id: int, client_ref: str | None
) -> ChatMessage:
    """Notes in the transcript that the visitor's offline message became this ticket; the
    note carries the form's ref, so the same form sent again makes no second ticket."""
    conversation = locked_conversation(uow, actor, public_id)
    body = json.dumps({"type": "offlineMessage", "ticketId": ticket_id}, separators=(",", ":"))
    return append_message(
        uow, actor, conversation, Sender.SYSTEM, None, SYSTEM_NAME, body, now_ms(), client_ref
    )
