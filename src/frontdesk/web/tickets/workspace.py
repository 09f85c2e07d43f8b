"""What every workspace page's layout shows: the agent, their views, the team."""

from __future__ import annotations

from typing import Any

from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.tickets import queues
from frontdesk.core.tickets.ports import TicketsUnit


def workspace(uow: TicketsUnit, signed: SignedIn, view_key: str = "") -> dict[str, Any]:
    actor = signed.actor
    team = accounts.list_agents(uow, actor)
    return {
        "agent": signed.agent,
        "views": queues.views_of(uow, actor, signed.agent.inbox_ids),
        "view_key": view_key,
        "team": team,
        "names": {agent.id: agent.name for agent in team},
        "counts": None,  # fetched by the page afterwards (/tickets/views)
    }
