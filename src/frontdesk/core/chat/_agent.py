"""The agents' side of a chat: joining, replying, transferring, closing, tagging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from frontdesk.core.chat._base import (
    append_message,
    chat_text,
    conversation_changed,
    hand_to,
    locked_conversation,
    start_session,
    system_message,
    transfer_note,
    unique_words,
    visitor_changed,
)
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.presence import check_room
from frontdesk.core.chat.records import (
    OPEN_CHAT,
    ChatMessage,
    ChatStatus,
    Conversation,
    Sender,
)
from frontdesk.core.identity.accounts import get_agent
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict
from frontdesk.core.shared.records import Actor

CHAT_TRANSFERRED = "chat.transferred"  # whom to tell (core.notify)


def join(uow: ChatUnit, actor: Actor, public_id: str, agent_id: int) -> Conversation:
    """An agent takes a waiting chat. Joining one's own chat again changes nothing."""
    agent = get_agent(uow, actor, agent_id)
    conversation = locked_conversation(uow, actor, public_id)
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
    check_room(uow, actor, agent)
    return hand_to(uow, actor, conversation, agent, {"type": "agentJoin"})


def agent_reply(
    uow: ChatUnit,
    actor: Actor,
    public_id: str,
    agent_id: int,
    text: str,
    client_ref: str | None = None,
) -> ChatMessage:
    """An agent writes. A waiting chat is joined first; with no chat open, one is started.

    A `client_ref` this agent already gave a message of the conversation is that same
    message again (a console resending after a reconnect): nothing is written. The refs of
    a conversation are one set, the visitor's included, so a ref someone else's message
    holds is refused (Conflict) rather than answered with their message.
    """
    agent = get_agent(uow, actor, agent_id)
    text = chat_text(text)
    conversation = locked_conversation(uow, actor, public_id)
    if client_ref:
        known = uow.chat.chat_message_by_ref(conversation.id, client_ref[:64])
        if known is not None:
            return _own_message(known, agent.id)
    now = now_ms()
    if conversation.status not in OPEN_CHAT:
        check_room(uow, actor, agent)
        conversation = start_session(uow, actor, conversation, agent, now)
    elif conversation.status is ChatStatus.WAITING:
        check_room(uow, actor, agent)
        conversation = hand_to(uow, actor, conversation, agent, {"type": "agentJoin"})
    return append_message(
        uow, actor, conversation, Sender.AGENT, agent.id, agent.name, text, now, client_ref
    )


def _own_message(known: ChatMessage, agent_id: int) -> ChatMessage:
    if known.sender is not Sender.AGENT or known.agent_id != agent_id:
        raise Conflict("ref_taken", "Another message of this chat has that ref", field="ref")
    return known


def transfer(
    uow: ChatUnit,
    actor: Actor,
    public_id: str,
    agent_id: int,
    to_agent_id: int,
    note: str | None = None,
) -> Conversation:
    """Hand an active chat to another agent of the account, with a note for them if given.

    The note rides on the transfer's system message, apart from its body: agents read it
    in the console, the visitor never sees it."""
    note = transfer_note(note)
    by = get_agent(uow, actor, agent_id)
    to = get_agent(uow, actor, to_agent_id)
    conversation = locked_conversation(uow, actor, public_id)
    if conversation.status is not ChatStatus.ACTIVE:
        raise Conflict("chat_not_active", f"This chat is {conversation.status.value}, not active")
    if conversation.agent_id == to.id:
        return conversation
    check_room(uow, actor, to)
    event = {"type": "transfer", "fromAgentId": conversation.agent_id, "byAgentId": by.id}
    handed = hand_to(uow, actor, conversation, to, event, note)
    events.record(
        uow, actor, CHAT_TRANSFERRED, now_ms(), conversation=conversation.id,
        public_id=conversation.public_id, to_agent_id=to.id, by_agent_id=by.id,
    )  # fmt: skip
    return handed


def close(uow: ChatUnit, actor: Actor, public_id: str, agent_id: int | None) -> Conversation:
    """End the open chat; `agent_id` None means the visitor ended it."""
    agent = get_agent(uow, actor, agent_id) if agent_id is not None else None
    conversation = locked_conversation(uow, actor, public_id)
    if conversation.status not in OPEN_CHAT or conversation.session_id is None:
        raise Conflict("chat_not_open", f"This chat is {conversation.status.value}, not open")
    now = now_ms()
    ending: dict[str, Any] = {"closed": now}
    closing: dict[str, Any] = {"status": ChatStatus.CLOSED.value, "updated": now}
    if agent is not None and conversation.agent_id is None:
        # An agent who ends a chat nobody took has handled it: chatStatistics names them
        # (the spec names an agent even for a chat no agent answered).
        ending["agent_id"] = closing["agent_id"] = agent.id
    uow.chat.update_session(conversation.session_id, ending)
    uow.chat.update_conversation(conversation.id, closing)
    event: dict[str, Any] = {"type": "chatClosed", "by": "agent" if agent else "visitor"}
    if agent is not None:
        event["agentId"] = agent.id
    system_message(uow, actor, conversation, event, now)
    return conversation_changed(uow, actor, conversation, now)


def set_tags(uow: ChatUnit, actor: Actor, public_id: str, tags: Iterable[str]) -> Conversation:
    """Replace the regular (type 1) tags; the name tag stays. Returns the conversation."""
    chosen = unique_words(tags, "tag")
    conversation = locked_conversation(uow, actor, public_id)
    now = now_ms()
    uow.visitors.replace_tags(conversation.id, chosen, now)
    visitor_changed(uow, actor, conversation, now, tags=chosen)
    return conversation


def set_labels(uow: ChatUnit, actor: Actor, public_id: str, labels: Iterable[str]) -> Conversation:
    chosen = unique_words(labels, "label")
    conversation = locked_conversation(uow, actor, public_id)
    now = now_ms()
    uow.visitors.replace_labels(conversation.id, chosen, now)
    visitor_changed(uow, actor, conversation, now, labels=chosen)
    return conversation
