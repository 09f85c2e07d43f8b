"""Page filters: named URL patterns that listings and statistics select chats by."""

from __future__ import annotations

from collections.abc import Iterable

from frontdesk.core.chat._base import (
    MAX_NAME,
    MAX_URL,
    PAGE_FILTER_CHANGED,
    clean,
)
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    MatchType,
    PageFilter,
)
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import Actor


def create_page_filter(
    uow: ChatUnit, actor: Actor, search_name: str, search_filter: str, match_type: str
) -> PageFilter:
    try:
        match = MatchType(match_type)
    except ValueError:
        words = " | ".join(kind.value for kind in MatchType)
        raise Invalid(
            "invalid_match_type", f"matchType must be one of {words}", field="matchType"
        ) from None
    now = now_ms()
    created = uow.chat_reports.insert_page_filter(
        {
            "account_id": actor.account_id,
            "search_name": clean(search_name, "searchName", MAX_NAME),
            "search_filter": clean(search_filter, "searchFilter", MAX_URL),
            "match_type": match.value,
            "created": now,
        }
    )
    events.record(uow, actor, PAGE_FILTER_CHANGED, now, id=created.id, created=True)
    return created


def list_page_filters(uow: ChatUnit, actor: Actor) -> list[PageFilter]:
    return uow.chat_reports.list_page_filters(actor.account_id)


def page_filters(uow: ChatUnit, actor: Actor, ids: Iterable[int]) -> tuple[PageFilter, ...]:
    """The account's filters with these ids; any id that is not one of them is not found."""
    wanted = sorted(set(ids))
    found = uow.chat_reports.get_page_filters(actor.account_id, wanted)
    for filter_id in wanted:
        if filter_id not in found:
            raise NotFound(
                "page_filter_not_found", f"No page filter {filter_id}", field="pageFilterId"
            )
    return tuple(found[filter_id] for filter_id in wanted)


def known_page_filters(uow: ChatUnit, actor: Actor, ids: Iterable[int]) -> tuple[PageFilter, ...]:
    """The account's filters with these ids; ids that name none are left out."""
    found = uow.chat_reports.get_page_filters(actor.account_id, sorted(set(ids)))
    return tuple(found[filter_id] for filter_id in sorted(found))


def delete_page_filter(uow: ChatUnit, actor: Actor, filter_id: int) -> None:
    (found,) = page_filters(uow, actor, [filter_id])
    uow.chat_reports.delete_page_filter(found.id)
    events.record(uow, actor, PAGE_FILTER_CHANGED, now_ms(), id=found.id, deleted=True)
