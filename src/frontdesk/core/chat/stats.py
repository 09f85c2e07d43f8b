"""Chat listings and statistics, and the definitions of the figures (docs/chat.md).

Statistics are per chat *session* (one chat from its first message to its close) and are
computed from the session's messages, never kept as counters that could drift:

- duration: from the session's first visitor-or-agent message to its last one, in ms;
  null when no agent answered in the session.
- responseTime: from the visitor's first message in the session to the first agent
  message at or after it, in ms; null when no agent answered after the visitor wrote.
- rating: the visitor's 1-5 rating of the session; null when no agent answered.
- startedAt: when the session's first message was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.core.chat import known_page_filters, page_filters
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import ListedConversation, SessionFigures, SessionRow, StatsFilter
from frontdesk.core.identity import accounts
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.paging import Page, Window
from frontdesk.core.shared.records import Actor

MAX_STATS_DAYS = 365
DAY_MS = 86_400_000
MAX_FILTER_IDS = 100


@dataclass(frozen=True, slots=True)
class SessionStats:
    row: SessionRow
    duration: int | None
    response_time: int | None
    rating: int | None


def duration(figures: SessionFigures) -> int | None:
    if not figures.agent_messages or figures.first_message is None:
        return None
    assert figures.last_message is not None  # both come from the same set of messages
    return figures.last_message - figures.first_message


def response_time(figures: SessionFigures) -> int | None:
    if figures.first_visitor is None or figures.first_response is None:
        return None
    return figures.first_response - figures.first_visitor


def session_stats(row: SessionRow) -> SessionStats:
    answered = row.figures.agent_messages > 0
    return SessionStats(
        row=row,
        duration=duration(row.figures),
        response_time=response_time(row.figures),
        rating=row.session.rating if answered else None,
    )


def check_window(window: Window, *, max_days: int | None) -> None:
    if window.start is not None and window.end is not None and window.start > window.end:
        raise Invalid("empty_window", "The time range ends before it starts", field="endTime")
    if max_days is None:
        return
    if window.start is None or window.end is None:
        raise Invalid("required", "A statistics request needs a start and an end")
    if window.end - window.start > max_days * DAY_MS:
        raise Invalid(
            "window_too_long",
            f"At most {max_days} days per request",
            field="endTime",
        )


def _bounded(ids: tuple[int, ...] | list[int], field: str) -> None:
    if len(ids) > MAX_FILTER_IDS:
        raise Invalid("too_many_values", f"At most {MAX_FILTER_IDS} {field} values", field=field)


def list_conversations(
    uow: ChatUnit,
    actor: Actor,
    window: Window,
    page_filter_ids: list[int],
    *,
    after_id: int,
    limit: int,
) -> Page[ListedConversation]:
    """Conversations with a chat that started in the window, in id order, after after_id.

    With page filters, those that match any of them. An id that names no filter of the
    account matches nothing, as an unknown channel does, rather than failing the request
    (a client may keep the id of a filter deleted since): with no known filter at all,
    nothing matches."""
    check_window(window, max_days=None)
    _bounded(page_filter_ids, "pageFilterId")
    chosen = known_page_filters(uow, actor, page_filter_ids)
    if page_filter_ids and not chosen:
        return Page([], False)
    rows = uow.chat_reports.list_conversations(
        actor.account_id, window, chosen, after_id=after_id, limit=limit + 1
    )
    return Page(rows[:limit], len(rows) > limit)


@dataclass(frozen=True, slots=True)
class StatsQuery:
    window: Window
    agent_ids: tuple[int, ...] = ()
    conversation_ids: tuple[str, ...] = ()
    page_filter_ids: tuple[int, ...] = ()


def statistics_filter(uow: ChatUnit, actor: Actor, query: StatsQuery) -> StatsFilter:
    """Checks the request once, before the first batch is read."""
    check_window(query.window, max_days=MAX_STATS_DAYS)
    _bounded(query.agent_ids, "agentIds")
    _bounded(list(query.page_filter_ids), "pageFilterId")
    if len(query.conversation_ids) > MAX_FILTER_IDS:
        raise Invalid("too_many_values", f"At most {MAX_FILTER_IDS} channels", field="channels")
    known = accounts.agents_by_id(uow, actor.account_id, query.agent_ids)
    for agent_id in query.agent_ids:
        if agent_id not in known:
            raise NotFound("agent_not_found", f"No agent {agent_id}", field="agentIds")
    return StatsFilter(
        started=query.window,
        agent_ids=query.agent_ids,
        conversation_ids=query.conversation_ids,
        page_filters=page_filters(uow, actor, query.page_filter_ids),
    )


def statistics(
    uow: ChatUnit,
    actor: Actor,
    filters: StatsFilter,
    *,
    after: tuple[int, int] | None,
    limit: int,
) -> Page[SessionStats]:
    """Sessions in (started, id) order after the cursor, with their figures."""
    rows = uow.chat_reports.session_rows(actor.account_id, filters, after=after, limit=limit + 1)
    return Page([session_stats(row) for row in rows[:limit]], len(rows) > limit)
