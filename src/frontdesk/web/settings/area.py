"""What every settings page's layout needs: the agent, and the settings navigation.

The navigation is one list of entries, so a new screen adds one line here. Entries marked
`admin` show to owners and admins only; an agent sees their own pages (the profile, and
what part B adds there) and the canned responses they use. The check itself is the
core's (`accounts.administers`); `admin_area` is what an admins-only page calls first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.web.i18n import N_


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    label: str  # a msgid, translated by the template
    admin: bool  # owners and admins only
    section: str = ""  # the paths it stands for, when wider than its own (its tabs)

    @property
    def prefix(self) -> str:
        return self.section or self.path


# In the order the navigation shows them; a new screen adds its entry here.
ENTRIES = (
    Entry("/settings/profile", N_("Your profile"), admin=False),
    Entry("/settings/security", N_("Security"), admin=False),
    Entry("/notifications/settings", N_("Notifications"), admin=False),
    Entry("/settings/account", N_("Account"), admin=True),
    Entry("/settings/agents", N_("Agents"), admin=True),
    Entry("/settings/inboxes", N_("Inboxes"), admin=True),
    Entry("/settings/mail-problems", N_("Mail problems"), admin=True),
    Entry("/settings/widget", N_("Chat widget"), admin=True),
    Entry("/settings/fields", N_("Ticket fields"), admin=True),
    Entry("/settings/keys", N_("API keys"), admin=True),
    Entry("/settings/webhooks", N_("Webhooks"), admin=True),
    Entry("/settings/canned", N_("Canned responses"), admin=False),
    Entry(
        "/settings/rules/triggers", N_("Rules and macros"), admin=True, section="/settings/rules"
    ),
    Entry("/settings/sla", N_("Service levels"), admin=False),
    Entry("/settings/audit", N_("Audit log"), admin=True),
)


def navigation(signed: SignedIn) -> list[Entry]:
    """The entries this agent may open."""
    admin = accounts.administers(signed.actor)
    return [entry for entry in ENTRIES if admin or not entry.admin]


def settings_area(signed: SignedIn) -> dict[str, Any]:
    """The layout's context for any settings page, whoever may open it."""
    return {"agent": signed.agent, "settings_nav": navigation(signed)}


def admin_area(signed: SignedIn) -> dict[str, Any]:
    """The layout's context for an admins-only page; an agent gets Forbidden (a 403 page)."""
    accounts.require_admin(signed.actor)
    return settings_area(signed)
