"""The queue: views with counts, filters and search in the URL, keyset pages, bulk actions.

The ticket page and its actions are in web/tickets/page.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets import bulk, queues
from frontdesk.core.tickets.bulk import BulkAction
from frontdesk.core.tickets.queues import QueuePage
from frontdesk.core.tickets.records import Priority, Sort, Status
from frontdesk.http.deps import services_from
from frontdesk.web import i18n, session
from frontdesk.web.security import web_router
from frontdesk.web.templating import render
from frontdesk.web.tickets import filters, page
from frontdesk.web.tickets.workspace import workspace

router = web_router()
PAGE_SIZE = 25
Signed = Annotated[SignedIn, Depends(session.signed_in)]


@router.get("/tickets", response_class=HTMLResponse)
def queue(request: Request) -> Response:
    state = filters.parse(request.query_params)
    with session.reading(request) as (uow, signed):
        actor = signed.actor
        zone = i18n.for_request(request).time_zone  # the agent's own, once signed in
        context = workspace(uow, signed, state.view.key)
        query = queues.narrowed(
            queues.view_query(state.view, actor.agent_id),
            filters.filters_of(state, signed.agent.id, zone),
        )
        found = (
            queues.page(uow, actor, query, state.sort, after=state.after, before=state.before,
                        limit=PAGE_SIZE)
            if query is not None
            else QueuePage([], None, None)
        )  # fmt: skip
    context.update(
        state=state,
        page=found,
        statuses=list(Status),
        priorities=list(Priority),
        sorts=list(Sort),
        actions=list(BulkAction),
    )
    return render(request, "tickets/list.html", context, fragment="queue")


@router.get("/tickets/views", response_class=HTMLResponse)
def views(request: Request, current: str = "") -> Response:
    """The left column with every view's count (fetched after the page, and on changes)."""
    with session.reading(request) as (uow, signed):
        context = workspace(uow, signed, current[:220])
        context["counts"] = queues.counts(uow, signed.actor, context["views"])
    return render(request, "workspace/_views.html", context)


@router.post("/tickets/bulk")
def bulk_action(
    request: Request,
    signed: Signed,
    action: Annotated[str, Form(max_length=40)],
    ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    value: Annotated[str, Form(max_length=200)] = "",
    return_to: Annotated[str, Form(max_length=2000)] = "/tickets",
) -> Response:
    try:
        chosen = BulkAction(action)
    except ValueError:
        raise Invalid("invalid_action", "Choose an action", field="action") from None
    services = services_from(request)
    if chosen is BulkAction.ASSIGN and value == "me":
        value = str(signed.agent.id)
    with services.store.write() as uow:
        bulk.apply(uow, signed.actor, ids, chosen, value)
    target = return_to if return_to.startswith("/tickets") else "/tickets"
    return RedirectResponse(target, status_code=303)


# After the queue's own paths: /tickets/views is not a ticket id.
router.include_router(page.router)
