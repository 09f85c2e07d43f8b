"""An agent's side: their preferences, their notifications, reading them."""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Agent
from frontdesk.core.notify.ports import NotifyUnit
from frontdesk.core.notify.records import Preferences, Shown
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor

MAX_PAGE = 100
SETTINGS_CHANGED = "notification.settings_changed"
READ = "notification.read"


def _agent(uow: NotifyUnit, actor: Actor, agent_id: int) -> Agent:
    """An agent acts for themselves; an API key for any agent of its account."""
    if actor.contact_id is not None:
        raise Forbidden("customer_token", "A customer token has no notifications")
    if actor.agent_id is not None and actor.agent_id != agent_id:
        raise Forbidden("not_yours", "Agents see and set only their own notifications")
    return accounts.get_agent(uow, actor, agent_id)


def preferences_of(uow: NotifyUnit, actor: Actor, agent_id: int) -> Preferences:
    agent = _agent(uow, actor, agent_id)
    return uow.notify.preferences([agent.id]).get(agent.id, Preferences())


def set_preferences(
    uow: NotifyUnit, actor: Actor, agent_id: int, preferences: Preferences
) -> Preferences:
    agent = _agent(uow, actor, agent_id)
    kept = uow.notify.preferences([agent.id]).get(agent.id, Preferences())
    chosen = Preferences(preferences.web, preferences.email, preferences.delivery,
                         kept.last_digest)  # fmt: skip
    now = now_ms()
    uow.notify.save_preferences(actor.account_id, agent.id, chosen, now)
    events.record(uow, actor, SETTINGS_CHANGED, now, agent_id=agent.id)
    return chosen


def notifications_of(
    uow: NotifyUnit, actor: Actor, agent_id: int, *, before_id: int | None, limit: int
) -> list[Shown]:
    """Newest first; `before_id` pages on (the last id of the page before)."""
    agent = _agent(uow, actor, agent_id)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return uow.notify.shown(agent.id, after_id=before_id, limit=limit)


def unread(uow: NotifyUnit, actor: Actor, agent_id: int) -> int:
    return uow.notify.unread_count(_agent(uow, actor, agent_id).id)


def mark_read(
    uow: NotifyUnit, actor: Actor, agent_id: int, notification_ids: Sequence[int] | None
) -> int:
    """Mark these (None: all) of the agent's notifications read; how many were unread."""
    agent = _agent(uow, actor, agent_id)
    now = now_ms()
    changed = uow.notify.mark_read(agent.id, notification_ids, now)
    if changed:
        events.record(uow, actor, READ, now, agent_id=agent.id, count=changed)
    return changed
