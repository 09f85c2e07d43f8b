"""Names the templates show for the core's values, translated when a page renders.

Registered as template globals (templating.py): `priority_name("high")`,
`priority_options()`, `sort_options()`, `inbox_options(...)`, `agent_options(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from frontdesk.core.identity.records import Agent
from frontdesk.web.i18n import N_, gettext

PRIORITIES = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
STATUSES = {
    "new": N_("New"),
    "reply": N_("Customer replied"),
    "pending": N_("Pending"),
    "on-hold": N_("On hold"),
    "solved": N_("Solved"),
    "closed": N_("Closed"),
}
VIEWS = {
    "mine": N_("Mine"),
    "unassigned": N_("Unassigned"),
    "open": N_("All open"),
    "pending": N_("Pending"),
    "on-hold": N_("On hold"),
    "solved": N_("Solved"),
    "all": N_("All tickets"),
    "inbox": N_("Inbox"),
}
DELIVERY = {
    "queued": N_("E-mail queued"),
    "sending": N_("E-mail sending"),
    "sent": N_("E-mail sent"),
    "failed": N_("E-mail failed"),
    "unknown": N_("E-mail outcome unknown"),
}
SORTS = {
    "activity": N_("Last activity"),
    "created": N_("Created"),
    "priority": N_("Priority"),
    "due": N_("SLA due soonest"),
}
SLA_METRICS = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
}

CHAT_STATUSES = {
    "new": N_("New"),
    "waiting": N_("Waiting"),
    "active": N_("Active"),
    "closed": N_("Closed"),
}
CHAT_TONES = {"waiting": "warning", "active": "success"}


def priority_name(value: str) -> str:
    return gettext(PRIORITIES.get(value, value))


def priority_options() -> list[tuple[str, str]]:
    return [(value, gettext(name)) for value, name in PRIORITIES.items()]


def status_name(value: str) -> str:
    return gettext(STATUSES.get(value, value))


def view_label(kind: str) -> str:
    return gettext(VIEWS.get(kind, kind))


def status_options() -> list[tuple[str, str]]:
    return [(value, gettext(name)) for value, name in STATUSES.items()]


def delivery_name(status: str) -> str:
    return gettext(DELIVERY.get(status, status))


def sla_metric_name(value: str) -> str:
    return gettext(SLA_METRICS.get(value, value))


def sort_options() -> list[tuple[str, str]]:
    return [(value, gettext(name)) for value, name in SORTS.items()]


def inbox_options(inboxes: Mapping[int, str]) -> list[tuple[str, str]]:
    return [(str(inbox_id), name) for inbox_id, name in inboxes.items()]


def agent_options(team: Iterable[Agent]) -> list[tuple[str, str]]:
    return [(str(agent.id), agent.name) for agent in team]


def chat_status_name(value: str) -> str:
    return gettext(CHAT_STATUSES.get(value, value))


def chat_status_tone(value: str) -> str:
    return CHAT_TONES.get(value, "neutral")


def visitor_name(conversation: Any) -> str:
    """A chat's visitor as agents see them: the name given, or "Visitor" and the id's end."""
    name: str | None = conversation.visitor_name
    return name or gettext("Visitor %(id)s") % {"id": conversation.public_id[-4:]}


GLOBALS = {
    "chat_status_name": chat_status_name,
    "chat_status_tone": chat_status_tone,
    "visitor_name": visitor_name,
    "priority_name": priority_name,
    "priority_options": priority_options,
    "sort_options": sort_options,
    "sla_metric_name": sla_metric_name,
    "status_options": status_options,
    "status_name": status_name,
    "view_label": view_label,
    "delivery_name": delivery_name,
    "inbox_options": inbox_options,
    "agent_options": agent_options,
}
