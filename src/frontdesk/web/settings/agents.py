"""Settings, Agents: invite by e-mail, role, inboxes, chat limit, deactivate, sessions.

Each action is a plain form posting to its own path; the core's team functions check
that the signed-in agent administers the account and record the change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.chat import presence
from frontdesk.core.identity import accounts, team
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.mail import notices
from frontdesk.core.shared.errors import DomainError, Invalid
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session
from frontdesk.web.forms import form_id
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Name = Annotated[str, Form(max_length=400)]
Email = Annotated[str, Form(max_length=640)]
RoleValue = Annotated[str, Form(max_length=16)]

# What the invite form says for the core's codes; anything else is the generic message.
INVITE_ERRORS = {
    "agent_exists": N_("An agent with that e-mail address exists already."),
    "invalid_email": N_("That is not a valid e-mail address."),
    "no_inbox": N_("Add an inbox first: the invitation is sent from it."),
    "required": N_("Give the agent a name and an e-mail address."),
}
INVITE_ERROR = N_("Check the name and the e-mail address.")


@router.get("/settings/agents", response_class=HTMLResponse)
def agents_page(request: Request, signed: Signed) -> Response:
    return _list(request, signed)


def _list(
    request: Request, signed: SignedIn, form: dict[str, Any] | None = None, status: int = 200
) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["agents"] = accounts.list_agents(uow, signed.actor)
        context["inbox_names"] = {i.id: i.name for i in accounts.list_inboxes(uow, signed.actor)}
        context["limits"] = presence.limits(uow, signed.actor)
    context["form"] = form or {"name": "", "email": "", "role": "agent", "error": ""}
    return render(request, "settings/agents.html", context, status_code=status)


@router.post("/settings/agents/invite", response_class=HTMLResponse)
def invite(
    request: Request, signed: Signed, name: Name, email: Email, role: RoleValue = "agent"
) -> Response:
    services = services_from(request)
    try:
        with services.store.write() as uow:
            agent = notices.invite_agent(
                uow, signed.actor, name, email, team.parse_role(role),
                services.settings.public_base_url,
            )  # fmt: skip
    except DomainError as error:
        if error.code not in INVITE_ERRORS and not isinstance(error, Invalid):
            raise  # Forbidden and the like: the error page
        message = _(INVITE_ERRORS.get(error.code, INVITE_ERROR))
        form = {"name": name, "email": email, "role": role, "error": message}
        return _list(request, signed, form, status=409 if error.code == "agent_exists" else 422)
    return RedirectResponse(f"/settings/agents?invited={agent.id}", status_code=303)


@router.get("/settings/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(request: Request, agent_id: PathId, signed: Signed) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["member"] = accounts.get_agent(uow, signed.actor, agent_id)
        context["inboxes"] = accounts.list_inboxes(uow, signed.actor)
        context["limit"] = presence.limits(uow, signed.actor).get(agent_id)
        context["sessions"] = team.agent_sessions(uow, signed.actor, agent_id)
    return render(request, "settings/agent.html", context)


@router.post("/settings/agents/{agent_id}")
def change(
    request: Request,
    agent_id: PathId,
    signed: Signed,
    role: RoleValue,
    inbox_ids: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 (FastAPI's form list)
    chat_limit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    inboxes = [form_id(value, "inbox_ids") for value in inbox_ids]
    limit = form_id(chat_limit, "chat_limit") if chat_limit.strip() else None
    with services_from(request).store.write() as uow:
        team.change_agent(uow, signed.actor, agent_id, team.parse_role(role), inboxes)
        presence.set_limit(uow, signed.actor, agent_id, limit)
    return RedirectResponse(f"/settings/agents/{agent_id}?saved=1", status_code=303)


@router.post("/settings/agents/{agent_id}/deactivate")
def deactivate(request: Request, agent_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        team.deactivate_agent(uow, signed.actor, agent_id)
    return RedirectResponse(f"/settings/agents/{agent_id}", status_code=303)


@router.post("/settings/agents/{agent_id}/reactivate")
def reactivate(request: Request, agent_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        team.reactivate_agent(uow, signed.actor, agent_id)
    return RedirectResponse(f"/settings/agents/{agent_id}", status_code=303)


@router.post("/settings/agents/{agent_id}/sessions/{session_id}/end")
def end_session(request: Request, agent_id: PathId, session_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        team.end_agent_session(uow, signed.actor, agent_id, session_id)
    return RedirectResponse(f"/settings/agents/{agent_id}", status_code=303)
