"""Agent-side chat endpoints of the native API: see chats, join, reply, transfer, close,
set tags and labels, and the account's page filters. Bearer keys with chat scopes.

Keys belong to an account, not to a person, so every action names the agent acting
(`agent_id`), who must be an agent of the key's account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import DbId, Strict
from frontdesk.core import chat
from frontdesk.core.chat import presence, routing
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.chat.records import (
    Availability,
    ChatMessage,
    ChatStatus,
    Conversation,
    MatchType,
    PageFilter,
    TagType,
    VisitorTag,
)
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
reader = scoped(Scope.CHAT_READ)
writer = scoped(Scope.CHAT_WRITE)
admin = scoped(Scope.ADMIN)
PublicId = Annotated[str, Path(pattern=r"^V[0-9]{1,30}$", description="A conversation: V...")]


class VisitorOut(BaseModel):
    name: str | None
    traffic_type: str
    search_engine: str
    browser: str
    os: str
    city: str | None
    country: str | None
    exit_page: str | None
    last_visit: int


class ChatOut(BaseModel):
    conversation_id: str
    status: ChatStatus
    agent_id: int | None
    visitor: VisitorOut
    created: int
    updated: int


class ChatMessageOut(BaseModel):
    id: int
    sender: str
    agent_id: int | None  # as the transcript numbers senders: agent id, 0 visitor, null system
    from_name: str
    body: str
    created: int
    note: str | None = None  # a transfer's note for the agent taking over (agents only)


class ChatDetailOut(ChatOut):
    messages: list[ChatMessageOut]
    tags: list[str]
    labels: list[str]
    cards: dict[str, str]


class AgentIn(Strict):
    agent_id: DbId


class ReplyIn(AgentIn):
    text: str = Field(min_length=1, max_length=chat.MAX_TEXT)


class TransferIn(AgentIn):
    to_agent_id: DbId
    note: str | None = Field(default=None, max_length=chat.MAX_NOTE)


class TagsIn(Strict):
    tags: list[str] = Field(max_length=chat.MAX_TAGS)


class LabelsIn(Strict):
    labels: list[str] = Field(max_length=chat.MAX_TAGS)


class PageFilterIn(Strict):
    search_name: str = Field(min_length=1, max_length=200)
    search_filter: str = Field(min_length=1, max_length=2000)
    match_type: MatchType = MatchType.LIKE


class PageFilterOut(BaseModel):
    id: int
    search_name: str
    search_filter: str
    match_type: MatchType
    created: int


def _chat(record: Conversation) -> ChatOut:
    info = record.info
    return ChatOut(
        conversation_id=record.public_id,
        status=record.status,
        agent_id=record.agent_id,
        visitor=VisitorOut(
            name=record.visitor_name,
            traffic_type=info.traffic_type,
            search_engine=info.search_engine,
            browser=info.browser,
            os=info.os,
            city=info.city,
            country=info.country,
            exit_page=record.exit_page,
            last_visit=record.last_visit,
        ),
        created=record.created,
        updated=record.updated,
    )


def _message(record: ChatMessage) -> ChatMessageOut:
    return ChatMessageOut(
        id=record.id,
        sender=record.sender.value,
        agent_id=chat.sender_number(record.sender, record.agent_id),
        from_name=record.from_name,
        body=record.body,
        created=record.created,
        note=record.note,
    )


def _regular_tags(found: list[VisitorTag]) -> list[str]:
    """The tags an agent sets; the visitor's name tag is not one of them."""
    return [tag.tag for tag in found if tag.type is TagType.TAG]


def chat_detail(uow: ChatUnit, record: Conversation, *, transcript: bool = True) -> ChatDetailOut:
    """The chat as GET /conversations/{id} shows it; without `transcript`, `messages` is
    left empty (webhook bodies leave it out, as they leave out a ticket's thread)."""
    messages = chat.transcript(uow, record) if transcript else []
    return ChatDetailOut(
        **_chat(record).model_dump(),
        messages=[_message(item) for item in messages],
        tags=_regular_tags(chat.visitor_tags(uow, record)),
        labels=[label.label for label in chat.visitor_labels(uow, record)],
        cards={card.data_id: card.data for card in chat.visitor_cards(uow, record)},
    )


def _page_filter(record: PageFilter) -> PageFilterOut:
    return PageFilterOut(
        id=record.id,
        search_name=record.search_name,
        search_filter=record.search_filter,
        match_type=record.match_type,
        created=record.created,
    )


@router.get("/conversations", response_model=list[ChatOut])
def list_chats(
    status: list[ChatStatus] = Query(default=[ChatStatus.WAITING, ChatStatus.ACTIVE]),
    limit: int = Query(default=100, ge=1, le=500),
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> list[ChatOut]:
    """Waiting and active chats by default, most recently changed first."""
    with services.store.read() as uow:
        return [_chat(item) for item in chat.list_chats(uow, actor, status, limit=limit)]


@router.get("/conversations/{conversation_id}", response_model=ChatDetailOut)
def get_chat(
    conversation_id: PublicId,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> ChatDetailOut:
    with services.store.read() as uow:
        return chat_detail(uow, chat.get_conversation(uow, actor, conversation_id))


@router.post("/conversations/{conversation_id}/join", response_model=ChatOut)
def join(
    conversation_id: PublicId,
    body: AgentIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> ChatOut:
    with services.store.write() as uow:
        return _chat(chat.join(uow, actor, conversation_id, body.agent_id))


@router.post(
    "/conversations/{conversation_id}/messages", response_model=ChatMessageOut, status_code=201
)
def reply(
    conversation_id: PublicId,
    body: ReplyIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> ChatMessageOut:
    with services.store.write() as uow:
        return _message(chat.agent_reply(uow, actor, conversation_id, body.agent_id, body.text))


@router.post("/conversations/{conversation_id}/transfer", response_model=ChatOut)
def transfer(
    conversation_id: PublicId,
    body: TransferIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> ChatOut:
    with services.store.write() as uow:
        moved = chat.transfer(
            uow, actor, conversation_id, body.agent_id, body.to_agent_id, body.note
        )
        return _chat(moved)


@router.post("/conversations/{conversation_id}/close", response_model=ChatOut)
def close(
    conversation_id: PublicId,
    body: AgentIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> ChatOut:
    with services.store.write() as uow:
        return _chat(chat.close(uow, actor, conversation_id, body.agent_id))


@router.put("/conversations/{conversation_id}/tags", response_model=TagsIn)
def set_tags(
    conversation_id: PublicId,
    body: TagsIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> TagsIn:
    with services.store.write() as uow:
        changed = chat.set_tags(uow, actor, conversation_id, body.tags)
        found = chat.visitor_tags(uow, changed)
    return TagsIn(tags=_regular_tags(found))


@router.put("/conversations/{conversation_id}/labels", response_model=LabelsIn)
def set_labels(
    conversation_id: PublicId,
    body: LabelsIn,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> LabelsIn:
    with services.store.write() as uow:
        changed = chat.set_labels(uow, actor, conversation_id, body.labels)
        found = chat.visitor_labels(uow, changed)
    return LabelsIn(labels=[label.label for label in found])


@router.get("/page-filters", response_model=list[PageFilterOut])
def list_page_filters(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> list[PageFilterOut]:
    with services.store.read() as uow:
        return [_page_filter(item) for item in chat.list_page_filters(uow, actor)]


@router.post("/page-filters", response_model=PageFilterOut, status_code=201)
def create_page_filter(
    body: PageFilterIn, actor: Actor = Depends(writer), services: Services = Depends(services_of)
) -> PageFilterOut:
    with services.store.write() as uow:
        created = chat.create_page_filter(
            uow, actor, body.search_name, body.search_filter, body.match_type.value
        )
    return _page_filter(created)


@router.delete("/page-filters/{filter_id}", status_code=204)
def delete_page_filter(
    filter_id: PathId, actor: Actor = Depends(writer), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        chat.delete_page_filter(uow, actor, filter_id)
    return Response(status_code=204)


class AgentStatusOut(BaseModel):
    agent_id: int
    name: str
    status: Availability = Field(description="what the team sees (docs/chat.md, Agent status)")
    chosen: Availability
    chat_limit: int | None
    open_tabs: int


class ChatLimitIn(Strict):
    chat_limit: int | None = Field(ge=1, le=presence.MAX_LIMIT, description="null: no limit")


def _seat(seat: presence.Seat) -> AgentStatusOut:
    return AgentStatusOut(
        agent_id=seat.agent.id,
        name=seat.agent.name,
        status=seat.shown,
        chosen=seat.status.chosen,
        chat_limit=seat.status.chat_limit,
        open_tabs=seat.status.live_tabs,
    )


@router.get("/agents", response_model=list[AgentStatusOut])
def list_agent_status(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> list[AgentStatusOut]:
    with services.store.read() as uow:
        return [_seat(seat) for seat in presence.team(uow, actor)]


@router.put("/agents/{agent_id}/limit", response_model=AgentStatusOut)
def set_chat_limit(
    agent_id: PathId,
    body: ChatLimitIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> AgentStatusOut:
    with services.store.write() as uow:
        presence.set_limit(uow, actor, agent_id, body.chat_limit)
        return _seat(presence.seat_of(uow, actor, agent_id))


class RoutingIO(Strict):
    offer_seconds: int = Field(
        ge=routing.MIN_OFFER_SECONDS,
        le=routing.MAX_OFFER_SECONDS,
        description="how long a waiting chat is offered to one agent before the next",
    )


@router.get("/routing", response_model=RoutingIO)
def get_routing(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> RoutingIO:
    with services.store.read() as uow:
        return RoutingIO(offer_seconds=routing.offer_seconds(uow, actor))


@router.put("/routing", response_model=RoutingIO)
def set_routing(
    body: RoutingIO, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> RoutingIO:
    with services.store.write() as uow:
        return RoutingIO(offer_seconds=routing.set_offer_seconds(uow, actor, body.offer_seconds))
