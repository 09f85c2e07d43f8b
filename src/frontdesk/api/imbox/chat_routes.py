"""ImBox chat endpoints (docs/chat.md): key and account id in the path, Chat Read.

Lists that can be long (listConversations, chatStatistics) are streamed in keyset
batches, one read transaction each, so a year of chats never sits in memory at once.
The first batch is read before the response starts: an error still gets its envelope.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from frontdesk.api.common.responses import model_json
from frontdesk.api.common.tabular import csv_chunks, csv_response
from frontdesk.api.imbox import chat_schemas as cs
from frontdesk.api.imbox import chat_translate as ct
from frontdesk.api.imbox.routes import _authorised, batches
from frontdesk.core import chat
from frontdesk.core.chat import stats as chat_stats
from frontdesk.core.chat.records import ListedConversation
from frontdesk.core.chat.stats import SessionStats
from frontdesk.core.identity import accounts
from frontdesk.core.shared.paging import Page
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.deps import services_of
from frontdesk.services import Services

router = APIRouter(prefix="/message", tags=["imbox chat"])
reader = _authorised(Scope.CHAT_READ)
BATCH = 500


@router.get(
    "/listConversations/{apiKey}/{userId}/{fromDate}/{toDate}",
    response_model=cs.ConversationListOut,
)
def list_conversations(
    request: Request,
    fromDate: str,
    toDate: str,
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> Response:
    window = cs.day_window(fromDate, toDate)
    filter_ids = cs.page_filter_ids(request.query_params)

    def page(after_id: int) -> Page[ListedConversation]:
        with services.store.read() as uow:
            return chat_stats.list_conversations(
                uow, actor, window, filter_ids, after_id=after_id, limit=BATCH
            )

    rows = batches(
        page(0), lambda last: page(last.id), lambda item: ct.conversation(actor.account_id, item)
    )
    return ct.json_stream(rows)


@router.get("/grabConversation/{apiKey}/{userId}/{conversationId}", response_model=cs.TranscriptOut)
def grab_conversation(
    conversationId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    public_id = cs.conversation_id(conversationId)
    with services.store.read() as uow:
        record = chat.get_conversation(uow, actor, public_id)
        messages = chat.transcript(uow, record)
    return model_json(ct.transcript(record, messages))


@router.get(
    "/grabVisitorInfo/{apiKey}/{userId}/{conversationId}", response_model=cs.VisitorInfoListOut
)
def grab_visitor_info(
    conversationId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    public_id = cs.conversation_id(conversationId)
    with services.store.read() as uow:
        record = chat.get_conversation(uow, actor, public_id)
    return model_json(ct.visitor_info(record))


@router.get("/grabVisitorTags/{apiKey}/{userId}/{conversationId}", response_model=cs.VisitorTagsOut)
def grab_visitor_tags(
    conversationId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    public_id = cs.conversation_id(conversationId)
    with services.store.read() as uow:
        record = chat.get_conversation(uow, actor, public_id)
        found = chat.visitor_tags(uow, record)
    return model_json(ct.tags(record, found))


@router.get(
    "/grabVisitorLabels/{apiKey}/{userId}/{conversationId}", response_model=cs.VisitorLabelsOut
)
def grab_visitor_labels(
    conversationId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    public_id = cs.conversation_id(conversationId)
    with services.store.read() as uow:
        record = chat.get_conversation(uow, actor, public_id)
        found = chat.visitor_labels(uow, record)
    return model_json(ct.labels(record, found))


@router.get(
    "/grabVisitorCards/{apiKey}/{userId}/{conversationId}", response_model=cs.VisitorCardsOut
)
def grab_visitor_cards(
    conversationId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    public_id = cs.conversation_id(conversationId)
    with services.store.read() as uow:
        record = chat.get_conversation(uow, actor, public_id)
        found = chat.visitor_cards(uow, record)
    return model_json(ct.cards(record, found))


@router.get("/grabAgent/{apiKey}/{userId}/{agentId}", response_model=cs.GrabAgentOut)
def grab_agent(
    agentId: str, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    agent_id = cs.agent_id(agentId)
    with services.store.read() as uow:
        agent = accounts.get_agent(uow, actor, agent_id)
    return model_json(cs.GrabAgentOut(data=[ct.agent(agent)]))


@router.get("/grabAgents/{apiKey}/{userId}", response_model=cs.AgentListOut)
def grab_agents(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    with services.store.read() as uow:
        agents = accounts.list_agents(uow, actor)
    return model_json(cs.AgentListOut(data=[ct.agent(a) for a in agents], length=len(agents)))


@router.get("/chatStatistics/{apiKey}/{userId}", response_model=cs.StatisticsOut)
def chat_statistics(
    request: Request, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    asked = cs.stats_request(request.query_params)
    with services.store.read() as uow:
        filters = chat_stats.statistics_filter(uow, actor, asked.query)

    def page(after: tuple[int, int] | None) -> Page[SessionStats]:
        with services.store.read() as uow:
            return chat_stats.statistics(uow, actor, filters, after=after, limit=BATCH)

    def following(last: SessionStats) -> Page[SessionStats]:
        return page((last.row.session.started, last.row.session.id))

    first = page(None)
    if asked.csv:
        cells = batches(first, following, ct.statistic_cells)
        return csv_response(csv_chunks(ct.STAT_COLUMNS, cells), "chat-statistics.csv")
    return ct.json_stream(batches(first, following, ct.statistic))


@router.get("/pageFilters/{apiKey}/{userId}", response_model=cs.PageFiltersOut)
def page_filters(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> Response:
    with services.store.read() as uow:
        found = chat.list_page_filters(uow, actor)
    return model_json(
        cs.PageFiltersOut(data=[ct.page_filter(item) for item in found], length=len(found))
    )
