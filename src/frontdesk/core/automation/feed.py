"""The event feed: an account's recorded events, oldest first, paged by id."""

from __future__ import annotations

from dataclasses import replace

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import FeedEvent, FeedQuery
from frontdesk.core.automation.webhooks import checked_types
from frontdesk.core.identity import accounts
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.paging import Page
from frontdesk.core.shared.records import Actor

MAX_LIMIT = 500


def list_events(uow: AutomationUnit, actor: Actor, query: FeedQuery) -> Page[FeedEvent]:
    """Events after `query.after_id` that match; `more` says whether a next page exists."""
    if query.kinds:
        checked_types(query.kinds)
    if not 1 <= query.limit <= MAX_LIMIT:
        raise Invalid("invalid", f"limit must be 1..{MAX_LIMIT}", field="limit")
    if query.since is not None and query.until is not None and query.since > query.until:
        raise Invalid("invalid", "since is after until", field="since")
    found = uow.feed.list_feed(actor.account_id, replace(query, limit=query.limit + 1))
    return Page(items=found[: query.limit], more=len(found) > query.limit)


def audit_log(uow: AutomationUnit, actor: Actor, query: FeedQuery) -> Page[FeedEvent]:
    """Who changed what and when, newest first: the settings' audit log (admins only)."""
    accounts.require_admin(actor)
    return list_events(uow, actor, replace(query, newest_first=True))
