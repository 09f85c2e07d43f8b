"""ImBox chat responses and query strings: field names exactly as the vendor prints them.

Query strings are parsed by hand, like the ticket half (schemas.py, whose helpers are
reused): unknown or repeated parameters are refused, every bad value gets a message that
says what would have been right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import Field
from starlette.datastructures import QueryParams

from frontdesk.api.imbox import schemas as ticket_schemas
from frontdesk.api.imbox.schemas import MAX_ID, Out
from frontdesk.core.chat.stats import StatsQuery
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.paging import Window

_PUBLIC_ID = re.compile(r"V[0-9]{1,30}")
_ID = re.compile(r"[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# -- responses ---------------------------------------------------------------------------------


class ConversationOut(Out):
    sid: int
    conversationID: str
    date: str


class ConversationListOut(Out):
    result: str = "success"
    data: list[ConversationOut] = Field(serialization_alias="json")
    length: int


class ChatMessageOut(Out):
    id: int
    sid: int
    conversationID: str
    sender: str = Field(serialization_alias="from")
    message: str
    date: str
    agentID: int | None


class TranscriptOut(Out):
    result: str = "success"
    data: list[ChatMessageOut] = Field(serialization_alias="json")
    length: int


class VisitorInfoOut(Out):
    trafficType: str
    se_type: str
    sid: int
    conversationID: str
    last_visit: str
    browser: str
    os: str
    user_city: str
    user_country: str
    exitPage: str


class VisitorInfoListOut(Out):
    result: str = "success"
    data: list[VisitorInfoOut] = Field(serialization_alias="json")


class VisitorTagOut(Out):
    sid: int
    conversationID: str
    createdDate: str
    tag: str
    type: int


class VisitorTagsOut(Out):
    result: str = "success"
    data: list[VisitorTagOut] = Field(serialization_alias="json")
    length: int


class VisitorLabelOut(Out):
    conversationID: str
    createdDate: str
    label: str


class VisitorLabelsOut(Out):
    result: str = "success"
    data: list[VisitorLabelOut] = Field(serialization_alias="json")


class VisitorCardOut(Out):
    dataID: str
    data: str
    sid: int
    conversationID: str
    createdDate: str
    updatedDate: str


class VisitorCardsOut(Out):
    result: str = "success"
    data: list[VisitorCardOut] = Field(serialization_alias="json")


class ChatAgentOut(Out):
    agentID: int
    sid: int
    agentName: str
    agentEmail: str
    agentPicture: str
    agentLastActive: str | None
    department: str
    isBackOffice: str
    groups: str


class GrabAgentOut(Out):
    result: str = "success"
    data: list[ChatAgentOut] = Field(serialization_alias="json")


class AgentListOut(Out):
    result: str = "success"
    data: list[ChatAgentOut] = Field(serialization_alias="json")
    length: int


class StatisticOut(Out):
    channel: str
    agentName: str | None
    agentEmail: str | None
    referral: str
    searchEngine: str
    exitPage: str
    browser: str
    os: str
    city: str
    country: str
    labels: list[str]
    tags: list[str]
    duration: int | None
    rating: int | None
    responseTime: int | None
    startedAt: str


class StatisticsOut(Out):
    """The shape chatStatistics streams (documented for OpenAPI; built in chunks)."""

    result: str = "success"
    data: list[StatisticOut] = Field(serialization_alias="json")
    length: int


class PageFilterOut(Out):
    id: int
    sid: int
    searchFilter: str
    searchName: str
    matchType: str


class PageFiltersOut(Out):
    result: str = "success"
    data: list[PageFilterOut] = Field(serialization_alias="json")
    length: int


# -- path values ---------------------------------------------------------------------------------


def conversation_id(raw: str) -> str:
    if not _PUBLIC_ID.fullmatch(raw):
        raise Invalid(
            "invalid_conversation_id",
            "conversationId is V followed by digits, as listConversations prints it",
            field="conversationId",
        )
    return raw


def agent_id(raw: str, field: str = "agentId") -> int:
    if not _ID.fullmatch(raw.strip()):
        raise Invalid("invalid_agent_id", f"{field} must be an agent id (a number)", field=field)
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise NotFound("agent_not_found", f"No agent {value}", field=field)
    return value


def day_window(from_date: str, to_date: str) -> Window:
    """fromDate and toDate (YYYY-MM-DD, UTC) as a window covering both whole days."""
    window = Window(_day(from_date, "fromDate", end=False), _day(to_date, "toDate", end=True))
    return ticket_schemas.ordered(window, "toDate")


def _day(raw: str, field: str, *, end: bool) -> int:
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        moment = datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC)
    except ValueError:
        raise Invalid("invalid_date", f"{field} must be a date: YYYY-MM-DD", field=field) from None
    if end:
        moment += timedelta(days=1, milliseconds=-1)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


# -- query strings -------------------------------------------------------------------------------

LIST_PARAMS = frozenset({"pageFilterId"})
STATS_PARAMS = frozenset(
    {
        "startTime",
        "endTime",
        "agentId",
        "agentIds",
        "channel",
        "channels",
        "fileType",
        "timezone",
        "pageFilterId",
    }
)
_REPEATABLE = ("agentIds", "channels", "pageFilterId")


def page_filter_ids(params: QueryParams) -> list[int]:
    ticket_schemas._singles(params, LIST_PARAMS, repeatable=("pageFilterId",))
    return _filter_ids(ticket_schemas._many(params, "pageFilterId"))


def _filter_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not _ID.fullmatch(value.strip()) or not 1 <= int(value) <= MAX_ID:
            raise Invalid(
                "invalid_page_filter", "pageFilterId must be a page filter id", field="pageFilterId"
            )
        ids.append(int(value))
    return ids


@dataclass(frozen=True)
class StatsRequest:
    query: StatsQuery
    csv: bool


def stats_request(params: QueryParams) -> StatsRequest:
    one = ticket_schemas._singles(params, STATS_PARAMS, repeatable=_REPEATABLE)
    if not one.get("startTime", "").strip():
        raise Invalid(
            "required", "startTime is required: 2020-01-01T00:00:00.000Z", field="startTime"
        )
    zone = ticket_schemas._zone(one.get("timezone"))
    start = ticket_schemas._instant(one["startTime"], "startTime", zone, end_of_day=False)
    end = ticket_schemas._instant(one.get("endTime"), "endTime", zone, end_of_day=True)
    agents = [agent_id(value, "agentIds") for value in ticket_schemas._many(params, "agentIds")]
    if "agentId" in one:
        agents.append(agent_id(one["agentId"]))
    channels = [conversation_id(value) for value in ticket_schemas._many(params, "channels")]
    if "channel" in one:
        channels.append(conversation_id(one["channel"]))
    query = StatsQuery(
        window=Window(start, end if end is not None else now_ms()),
        agent_ids=tuple(dict.fromkeys(agents)),
        conversation_ids=tuple(dict.fromkeys(channels)),
        page_filter_ids=tuple(_filter_ids(ticket_schemas._many(params, "pageFilterId"))),
    )
    return StatsRequest(query, ticket_schemas._csv(one))
