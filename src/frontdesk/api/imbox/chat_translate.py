"""Chat records to ImBox shapes. Absent text prints as "", unknown places as "Unknown"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from frontdesk.api.imbox import chat_schemas as cs
from frontdesk.core.chat import sender_number
from frontdesk.core.chat.records import (
    ChatMessage,
    Conversation,
    ListedConversation,
    PageFilter,
    VisitorCard,
    VisitorLabel,
    VisitorTag,
)
from frontdesk.core.chat.stats import SessionStats
from frontdesk.core.identity.records import Agent
from frontdesk.core.shared.clock import iso_ms

UNKNOWN = "Unknown"
LIST_SEPARATOR = ", "
STAT_COLUMNS = (
    "channel",
    "agentName",
    "agentEmail",
    "referral",
    "searchEngine",
    "exitPage",
    "browser",
    "os",
    "city",
    "country",
    "labels",
    "tags",
    "duration",
    "rating",
    "responseTime",
    "startedAt",
)


def _date(ms: int) -> str:
    return iso_ms(ms) or ""


def json_stream(batches: Iterable[Sequence[BaseModel]]) -> StreamingResponse:
    """`{"result": "success", "json": [...], "length": N}`, written batch by batch."""

    def chunks() -> Iterator[bytes]:
        count = 0
        yield b'{"result":"success","json":['
        for batch in batches:
            parts = [item.model_dump_json(by_alias=True).encode() for item in batch]
            if parts:
                yield (b"," if count else b"") + b",".join(parts)
                count += len(parts)
        yield b'],"length":' + str(count).encode() + b"}"

    return StreamingResponse(chunks(), media_type="application/json")


def conversation(account_id: int, item: ListedConversation) -> cs.ConversationOut:
    return cs.ConversationOut(
        sid=account_id, conversationID=item.public_id, date=_date(item.created)
    )


def transcript(record: Conversation, messages: list[ChatMessage]) -> cs.TranscriptOut:
    items = [
        cs.ChatMessageOut(
            id=message.id,
            sid=record.account_id,
            conversationID=record.public_id,
            sender=message.from_name,
            message=message.body,
            date=_date(message.created),
            agentID=sender_number(message.sender, message.agent_id),
        )
        for message in messages
    ]
    return cs.TranscriptOut(data=items, length=len(items))


def visitor_info(record: Conversation) -> cs.VisitorInfoListOut:
    info = record.info
    return cs.VisitorInfoListOut(
        data=[
            cs.VisitorInfoOut(
                trafficType=info.traffic_type,
                se_type=info.search_engine,
                sid=record.account_id,
                conversationID=record.public_id,
                last_visit=_date(record.last_visit),
                browser=info.browser,
                os=info.os,
                user_city=info.city or UNKNOWN,
                user_country=info.country or UNKNOWN,
                exitPage=record.exit_page or "",
            )
        ]
    )


def tags(record: Conversation, found: list[VisitorTag]) -> cs.VisitorTagsOut:
    items = [
        cs.VisitorTagOut(
            sid=record.account_id,
            conversationID=record.public_id,
            createdDate=_date(tag.created),
            tag=tag.tag,
            type=int(tag.type),
        )
        for tag in found
    ]
    return cs.VisitorTagsOut(data=items, length=len(items))


def labels(record: Conversation, found: list[VisitorLabel]) -> cs.VisitorLabelsOut:
    return cs.VisitorLabelsOut(
        data=[
            cs.VisitorLabelOut(
                conversationID=record.public_id,
                createdDate=_date(label.created),
                label=label.label,
            )
            for label in found
        ]
    )


def cards(record: Conversation, found: list[VisitorCard]) -> cs.VisitorCardsOut:
    return cs.VisitorCardsOut(
        data=[
            cs.VisitorCardOut(
                dataID=card.data_id,
                data=card.data,
                sid=record.account_id,
                conversationID=record.public_id,
                createdDate=_date(card.created),
                updatedDate=_date(card.updated),
            )
            for card in found
        ]
    )


def agent(record: Agent) -> cs.ChatAgentOut:
    return cs.ChatAgentOut(
        agentID=record.id,
        sid=record.account_id,
        agentName=record.name,
        agentEmail=record.email,
        agentPicture=record.picture_url or "",
        agentLastActive=iso_ms(record.last_active),
        department=record.department or "",
        isBackOffice="1" if record.is_back_office else "0",
        groups=",".join(record.groups),
    )


def statistic(item: SessionStats) -> cs.StatisticOut:
    row = item.row
    info = row.conversation.info
    return cs.StatisticOut(
        channel=row.conversation.public_id,
        agentName=row.agent_name,
        agentEmail=row.agent_email,
        referral=info.traffic_type,
        searchEngine=info.search_engine,
        exitPage=row.conversation.exit_page or "",
        browser=info.browser,
        os=info.os,
        city=info.city or UNKNOWN,
        country=info.country or UNKNOWN,
        labels=list(row.labels),
        tags=list(row.tags),
        duration=item.duration,
        rating=item.rating,
        responseTime=item.response_time,
        startedAt=_date(row.session.started),
    )


def statistic_cells(item: SessionStats) -> list[object]:
    out = statistic(item)
    values = out.model_dump()
    values["labels"] = LIST_SEPARATOR.join(out.labels)
    values["tags"] = LIST_SEPARATOR.join(out.tags)
    return [values[column] for column in STAT_COLUMNS]


def page_filter(record: PageFilter) -> cs.PageFilterOut:
    return cs.PageFilterOut(
        id=record.id,
        sid=record.account_id,
        searchFilter=record.search_filter,
        searchName=record.search_name,
        matchType=record.match_type.value,
    )
