"""InboxOps workspace ticket API under /v1/workspaces/{workspaceId}/tickets (docs/inboxops.md).

Every request carries `Authorization: Bearer <API key>` and `x-workspace-id`; the header
and the path must name the same workspace, and that workspace must be the key's account.
Routes are thin: resolve the path's UUIDs, make one core change in one transaction, and
render the result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from frontdesk.api.common.files import (
    attachment_download,
    form_file,
    multipart_body,
    upload_form,
)
from frontdesk.api.common.idempotency import KeyedRoutes, bearer
from frontdesk.api.common.responses import model_json, models_json
from frontdesk.api.inboxops import schemas as s
from frontdesk.api.inboxops import translate as out
from frontdesk.api.inboxops.words import OPEN, STATUSES_OF, TARGET_OF, statuses
from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.mail import replies
from frontdesk.core.mail.replies import TeamMessage
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import NewMessage, NewTicket, attachments, refs, search, transitions
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Ticket
from frontdesk.core.tickets.threads import merge as merge_tickets
from frontdesk.core.tickets.threads import split as split_ticket
from frontdesk.http.auth import authenticated
from frontdesk.http.deps import services_from
from frontdesk.http.limits import takes_upload
from frontdesk.http.uploads import store_upload
from frontdesk.services import Services
from frontdesk.services.auth import bearer_token, require_scope

router = APIRouter(prefix="/v1/workspaces/{workspaceId}/tickets", tags=["inboxops"])
TicketPath = Annotated[str, Path(alias="ticketId", max_length=100)]
AttachmentPath = Annotated[str, Path(alias="attachmentId", max_length=100)]
WORKSPACE_HEADER = "x-workspace-id"
# Every POST (creates, messages, uploads, transitions) takes an Idempotency-Key.
KEYED = KeyedRoutes("/v1/workspaces/", bearer, routes=router.routes)
UNMATCHED = -1  # an assignee filter no ticket can match (UNASSIGNED, 0, means none)


@dataclass(frozen=True, slots=True)
class Workspace:
    actor: Actor
    services: Services
    ctx: out.Context
    known_users: dict[int, str]  # agent id -> UUID, this process's memory for the account

    def users(self, uow: TicketsUnit, wanted: Iterable[int | None]) -> out.Context:
        """The context with the UUIDs of these agents (read once; they never change)."""
        if any(agent_id not in self.known_users for agent_id in wanted if agent_id):
            self.known_users.update(accounts.agent_uuids(uow, self.actor))
        return replace(self.ctx, users=self.known_users)

    def user_id(self, uow: TicketsUnit, user: int | str) -> int:
        """A user id given as a number or a UUID, as the agent's row id."""
        if isinstance(user, int):
            return user
        return accounts.agent_by_uuid(uow, self.actor, user, field="assigneeId").id


def _public_id(request: Request, services: Services, actor: Actor) -> str:
    """The account's workspace id; it never changes, so each process remembers it."""
    known: dict[int, str] | None = getattr(request.app.state, "inboxops_workspaces", None)
    if known is None:
        known = request.app.state.inboxops_workspaces = {}
    if actor.account_id not in known:
        with services.store.read() as uow:
            known[actor.account_id] = accounts.get_account(uow, actor.account_id).public_id
    return known[actor.account_id]


def _known_users(request: Request, account_id: int) -> dict[int, str]:
    """This process's memory of the account's agent UUIDs (they never change)."""
    known: dict[int, dict[int, str]] | None = getattr(request.app.state, "inboxops_users", None)
    if known is None:
        known = request.app.state.inboxops_users = {}
    return known.setdefault(account_id, {})


def _workspace(scope: Scope) -> Callable[..., Workspace]:
    """401 without a valid key; 400 when the header is missing or names another workspace
    than the path; 404 when the workspace is not the key's; 403 when the key lacks `scope`."""

    def dependency(
        request: Request,
        workspace_id: Annotated[str, Path(alias="workspaceId", max_length=100)],
        header: Annotated[str | None, Header(alias=WORKSPACE_HEADER)] = None,
    ) -> Workspace:
        services = services_from(request)
        token = bearer_token(request.headers.get("authorization"))
        actor = authenticated(request, token, services=services)
        if header is None or not header.strip():
            raise Invalid(
                "missing_workspace", "The x-workspace-id header is required", field=WORKSPACE_HEADER
            )
        if header.strip() != workspace_id:
            raise Invalid(
                "workspace_mismatch",
                "The x-workspace-id header and the path name different workspaces",
                field=WORKSPACE_HEADER,
            )
        if _public_id(request, services, actor) != workspace_id:
            raise NotFound("workspace_not_found", f"No workspace {workspace_id[:40]}")
        require_scope(actor, scope)
        ctx = out.Context(workspace_id, services.settings.public_base_url)
        return Workspace(actor, services, ctx, _known_users(request, actor.account_id))

    return dependency


Reader = Annotated[Workspace, Depends(_workspace(Scope.TICKETS_READ))]
Writer = Annotated[Workspace, Depends(_workspace(Scope.TICKETS_WRITE))]


def _ticket(uow: TicketsUnit, ws: Workspace, ticket_uuid: str) -> Ticket:
    return refs.ticket(uow, ws.actor, s.canonical_uuid(ticket_uuid, "ticketId"))


def _ticket_id(uow: TicketsUnit, ws: Workspace, ticket_uuid: str) -> int:
    return _ticket(uow, ws, ticket_uuid).id


def _assignee_filter(uow: TicketsUnit, ws: Workspace, assignee: int | str) -> int:
    """The filter's agent id; a UUID of no agent of the workspace matches nothing, as an
    unknown number does."""
    try:
        return ws.user_id(uow, assignee)
    except NotFound:
        return UNMATCHED


def _summary(uow: TicketsUnit, ws: Workspace, ticket_id: int) -> s.TicketOut:
    seen = search.describe(uow, ws.actor, ticket_id)
    ctx = ws.users(uow, seen.details.assignee_ids)
    return out.ticket(ctx, seen.ticket, seen.details, seen.requester, seen.merged_into)


def _detail(uow: TicketsUnit, ws: Workspace, ticket_id: int) -> s.TicketDetailOut:
    seen = search.describe(uow, ws.actor, ticket_id, thread=True)
    authors = [message.agent_id for message in seen.messages]
    return out.detail(
        ws.users(uow, [*seen.details.assignee_ids, *authors]),
        seen.ticket,
        seen.details,
        seen.requester,
        seen.merged_into,
        seen.messages,
        seen.attachments,
    )


# -- tickets --------------------------------------------------------------------------------------


@router.post("", response_model=s.TicketDetailOut, status_code=201)
def create_ticket(body: s.TicketIn, ws: Writer) -> s.TicketDetailOut:
    new = NewTicket(
        subject=body.subject,
        message=NewMessage(body_text=body.body),
        requester_email=body.requesterEmail,
        requester_name=body.requesterName,
        priority=body.priority,
        tags=tuple(body.tags),
    )
    with ws.services.store.write() as uow:
        if body.assigneeId is not None:
            new = replace(new, assignee_ids=(ws.user_id(uow, body.assigneeId),))
        # Filed in the workspace's first inbox, where its replies are mailed from.
        first = accounts.default_inbox(uow, ws.actor.account_id)
        new = replace(new, inbox_id=first.id if first is not None else None)
        opened = tickets.open_ticket(uow, ws.actor, new)
        return _detail(uow, ws, opened.ticket.id)


@router.get("", response_model=list[s.TicketOut])
def list_tickets(request: Request, ws: Reader) -> Response:
    wanted = s.list_query(request.query_params)
    with ws.services.store.read() as uow:
        query = wanted.query
        if wanted.assignee is not None:
            query = replace(query, assignee=_assignee_filter(uow, ws, wanted.assignee))
        found = search.find_tickets(uow, ws.actor, query, offset=wanted.offset, limit=wanted.limit)
        ctx = ws.users(uow, [a for d in found.details.values() for a in d.assignee_ids])
    totals = {
        "X-Total-Count": str(found.total),
        "X-Total-Count-Exact": "true" if found.total_exact else "false",
    }
    page = [
        out.ticket(
            ctx,
            ticket,
            found.details[ticket.id],
            found.requesters.get(ticket.requester_id or 0),
            found.merged_into.get(ticket.id),
        )
        for ticket in found.tickets
    ]
    return models_json(page, headers=totals)


@router.get("/{ticketId}", response_model=s.TicketDetailOut)
def get_ticket(ticket_uuid: TicketPath, ws: Reader) -> Response:
    with ws.services.store.read() as uow:
        return model_json(_detail(uow, ws, _ticket_id(uow, ws, ticket_uuid)))


@router.patch("/{ticketId}", response_model=s.TicketOut)
def update_ticket(ticket_uuid: TicketPath, body: s.TicketPatch, ws: Writer) -> s.TicketOut:
    given = body.model_fields_set
    with ws.services.store.write() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        if "assigneeId" in given:
            agents = [ws.user_id(uow, body.assigneeId)] if body.assigneeId is not None else []
            tickets.assign(uow, ws.actor, ticket_id, agents)
        if "priority" in given and body.priority is not None:
            tickets.set_priority(uow, ws.actor, ticket_id, body.priority)
        if "tags" in given and body.tags is not None:
            tickets.set_tags(uow, ws.actor, ticket_id, body.tags)
        return _summary(uow, ws, ticket_id)


# -- messages and attachments -------------------------------------------------------------------


@router.post("/{ticketId}/messages", response_model=s.PostedMessageOut, status_code=201)
def add_message(ticket_uuid: TicketPath, body: s.MessageIn, ws: Writer) -> s.PostedMessageOut:
    new = TeamMessage(
        body_text=body.body,
        body_html=body.bodyHtml,
        internal=body.isInternal,
        send_email=body.sendEmail,
        to=tuple(body.toAddresses),
        cc=tuple(body.ccAddresses) if body.ccAddresses is not None else None,
        attachments=tuple(body.attachmentIds),
    )
    with ws.services.store.write() as uow:
        ticket = _ticket(uow, ws, ticket_uuid)
        posted = replies.post(uow, ws.actor, ticket.id, new)
        message = posted.message
        carried = uow.attachments.attachments_of_messages([message.id]).get(message.id, [])
        ctx = ws.users(uow, [message.agent_id])
        return out.posted(out.message(ctx, ticket.uuid, message, carried), posted)


@router.post(
    "/{ticketId}/attachments",
    response_model=s.AttachmentOut,
    status_code=201,
    openapi_extra=multipart_body("file", "attachment"),
)
@takes_upload
async def upload_attachment(
    request: Request, ticket_uuid: TicketPath, ws: Writer
) -> s.AttachmentOut:
    """One file, as multipart field `file` (or `attachment`), read once the key is known."""
    limit = ws.services.settings.max_attachment_bytes
    form = await upload_form(request)
    file = form_file(form, ("file", "attachment"), "file")

    def store() -> s.AttachmentOut:
        stored = store_upload(file, ws.services.blobs, limit)
        with ws.services.store.write() as uow:
            ticket = _ticket(uow, ws, ticket_uuid)
            item = dataclasses.replace(stored, ticket_id=ticket.id)
            saved = attachments.upload_stored(uow, ws.actor, item, limit)
            return out.attachment(ws.ctx, ticket.uuid, saved, None)

    return await run_in_threadpool(store)


@router.get("/{ticketId}/attachments/{attachmentId}")
def download_attachment(
    ticket_uuid: TicketPath, attachment_uuid: AttachmentPath, ws: Reader
) -> Response:
    wanted = s.canonical_uuid(attachment_uuid, "attachmentId")
    with ws.services.store.read() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        (found,) = refs.attachments(uow, ws.actor, [wanted], ticket_id=ticket_id, field=None)
        record = attachments.get_attachment(uow, ws.actor, found.id)
    return attachment_download(record, ws.services.blobs)


# -- status, merge, split, archive ----------------------------------------------------------------


@router.post("/{ticketId}/status", response_model=s.TicketOut)
def change_status(ticket_uuid: TicketPath, body: s.StatusIn, ws: Writer) -> s.TicketOut:
    word = body.toStatus.strip().lower()
    statuses(word, "toStatus")  # refuses words outside the documented set
    with ws.services.store.write() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        transitions.transition(
            uow,
            ws.actor,
            ticket_id,
            TARGET_OF[word],
            reason=body.reason,
            counts_as=STATUSES_OF[OPEN] if word == OPEN else frozenset(),
        )
        return _summary(uow, ws, ticket_id)


@router.post("/{ticketId}/merge", response_model=s.TicketDetailOut)
def merge(ticket_uuid: TicketPath, body: s.MergeIn, ws: Writer) -> s.TicketDetailOut:
    with ws.services.store.write() as uow:
        source_id = _ticket_id(uow, ws, ticket_uuid)
        target = refs.ticket(uow, ws.actor, body.targetTicketId, field="targetTicketId")
        merged = merge_tickets(uow, ws.actor, source_id, target.id, force=body.force)
        return _detail(uow, ws, merged.target.id)


@router.post("/{ticketId}/split", response_model=s.SplitOut, status_code=201)
def split(ticket_uuid: TicketPath, body: s.SplitIn, ws: Writer) -> s.SplitOut:
    with ws.services.store.write() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        chosen = refs.messages(uow, ws.actor, body.messageIds, field="messageIds")
        done = split_ticket(uow, ws.actor, ticket_id, [m.id for m in chosen], body.newSubject)
        return s.SplitOut(ticket=_detail(uow, ws, done.new_ticket.id), movedCount=done.moved)


@router.post("/{ticketId}/archive", response_model=s.TicketOut)
def archive(ticket_uuid: TicketPath, ws: Writer) -> s.TicketOut:
    with ws.services.store.write() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        tickets.archive(uow, ws.actor, ticket_id)
        return _summary(uow, ws, ticket_id)


@router.post("/{ticketId}/unarchive", response_model=s.TicketOut)
def unarchive(ticket_uuid: TicketPath, ws: Writer) -> s.TicketOut:
    with ws.services.store.write() as uow:
        ticket_id = _ticket_id(uow, ws, ticket_uuid)
        tickets.unarchive(uow, ws.actor, ticket_id)
        return _summary(uow, ws, ticket_id)
