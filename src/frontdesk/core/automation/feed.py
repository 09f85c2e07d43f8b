"""The event feed: an account's recorded events, oldest first, paged by id."""

from __future__ import annotations

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import FeedEvent, FeedQuery
from frontdesk.core.automation.webhooks import checked_types
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
    wanted = FeedQuery(
        kinds=query.kinds,
        ticket_id=query.ticket_id,
        since=query.since,
        until=query.until,
        after_id=query.after_id,
        limit=query.limit + 1,
    )
    found = uow.feed.list_feed(actor.account_id, wanted)
    return Page(items=found[: query.limit], more=len(found) > query.limit)
