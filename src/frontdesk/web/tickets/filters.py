"""A queue's view, filters, search and sort, as a URL carries them and back.

Everything lives in the query string, so a view with its filters can be bookmarked and
shared: `/tickets?view=mine&status=reply&label=vip&q=refund&sort=priority`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.paging import Window
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.tickets.queues import View, ViewKind, parse_view
from frontdesk.core.tickets.records import UNASSIGNED, Priority, Sort, Status, TicketQuery
from frontdesk.core.tickets.search import search_words
from frontdesk.web.forms import day_window

MULTI = ("status", "label", "tag")
SINGLE = ("q", "inbox", "assignee", "priority", "created_from", "created_to", "updated_from",
          "updated_to")  # fmt: skip
DEFAULT_VIEW = View(ViewKind.MINE)


@dataclass(frozen=True)
class QueueState:
    """What the list shows: a view, the filters on it, the sort and the page."""

    view: View = DEFAULT_VIEW
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the filter fields
    sort: Sort = Sort.ACTIVITY
    after: str | None = None
    before: str | None = None

    def value(self, name: str) -> str:
        return (self.values.get(name) or ("",))[0]

    def many(self, name: str) -> tuple[str, ...]:
        return self.values.get(name, ())

    @property
    def filtered(self) -> bool:
        return any(self.values.values())

    def url(self, **changes: str | None) -> str:
        """This state's URL with some parameters changed (None drops one); a new filter or
        sort starts again at the first page."""
        params: list[tuple[str, str]] = [("view", self.view.key)]
        for name in (*SINGLE, *MULTI):
            params += [(name, value) for value in self.values.get(name, ()) if value]
        if self.sort is not Sort.ACTIVITY:
            params.append(("sort", self.sort.value))
        wanted = dict(changes)
        kept = [(k, v) for k, v in params if k not in wanted]
        kept += [(k, v) for k, v in wanted.items() if v]
        if "after" not in wanted and "before" not in wanted:
            kept = [(k, v) for k, v in kept if k not in ("after", "before")]
        return "/tickets?" + urlencode(kept)


def parse(params: QueryParams) -> QueueState:
    view = parse_view(params.get("view") or DEFAULT_VIEW.key)
    values = {name: tuple(v.strip()[:200] for v in params.getlist(name) if v.strip())[:20]
              for name in (*SINGLE, *MULTI)}  # fmt: skip
    try:
        sort = Sort(params.get("sort") or Sort.ACTIVITY.value)
    except ValueError:
        raise Invalid("invalid_sort", "No such order", field="sort") from None
    return QueueState(view, values, sort, params.get("after") or None, params.get("before") or None)


def filters_of(state: QueueState, agent_id: int, time_zone: ZoneInfo) -> TicketQuery:
    """The filter fields as a query the core narrows the view with."""
    return TicketQuery(
        statuses=frozenset(_status(value) for value in state.many("status")),
        priority=_choice(Priority, state.value("priority"), "priority"),
        tags=state.many("tag"),
        labels=state.many("label"),
        assignee=_assignee(state.value("assignee"), agent_id),
        inbox_id=_row_id(state.value("inbox"), "inbox"),
        words=search_words(state.value("q") or None),
        created=_window(state, "created", time_zone),
        updated=_window(state, "updated", time_zone),
    )


def _status(value: str) -> Status:
    found = _choice(Status, value, "status")
    assert found is not None
    return found


E = TypeVar("E", Status, Priority)


def _choice(kind: type[E], value: str, name: str) -> E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise Invalid("invalid_filter", f"No {name} {value[:40]!r}", field=name) from None


def _row_id(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= MAX_ROW_ID:
        raise Invalid("invalid_filter", f"No {name} {value[:40]!r}", field=name)
    return int(value)


def _assignee(value: str, agent_id: int) -> int | None:
    if value == "me":
        return agent_id
    if value == "none":
        return UNASSIGNED
    return _row_id(value, "assignee")


def _window(state: QueueState, name: str, time_zone: ZoneInfo) -> Window:
    """A date range in the agent's time zone, both days whole (inclusive)."""
    return day_window(state.value(f"{name}_from"), state.value(f"{name}_to"), name, time_zone)
