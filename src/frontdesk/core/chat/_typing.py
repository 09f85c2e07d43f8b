"""Typing indicators: a notice that someone is (or stopped) writing in a chat.

Not data: nothing is stored and no event is recorded. The transports publish the notice
on the services' fan-out (every process hears it); sockets and the console show it for a
few seconds, or until a `typing: false` or the message itself arrives.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core.chat.records import Conversation
from frontdesk.core.identity.records import Agent

TYPING = "chat.typing"
TYPING_SHOWN_SECONDS = 6  # a client hides the indicator when no fresh notice came since


def typing_notice(
    conversation: Conversation, typing: bool, agent: Agent | None = None
) -> dict[str, Any]:
    """The fan-out item: who types (the visitor, or `agent`) in which conversation."""
    return {
        "kind": TYPING,
        "account_id": conversation.account_id,
        "conversation": conversation.id,
        "public_id": conversation.public_id,
        "who": "agent" if agent else "visitor",
        "agent_id": agent.id if agent else None,
        "agent_name": agent.name if agent else None,
        "typing": bool(typing),
    }
