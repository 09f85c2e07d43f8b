"""What every workspace page's layout shows: the agent, their views, the team."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.tickets import queues
from frontdesk.core.tickets.ports import TicketsUnit


def workspace(
    uow: TicketsUnit,
    signed: SignedIn,
    view_key: str = "",
    inbox_names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """`inbox_names`: the account's inboxes when the page has read them already."""
    actor = signed.actor
    team = accounts.list_agents(uow, actor)
    return {
        "agent": signed.agent,
        "views": queues.views_of(uow, actor, signed.agent.inbox_ids, inbox_names),
        "view_key": view_key,
        "team": team,
        "names": {agent.id: agent.name for agent in team},
        "counts": None,  # fetched by the page afterwards (/tickets/views)
    }
