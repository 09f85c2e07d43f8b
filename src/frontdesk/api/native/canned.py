"""The account's canned responses in the native API (`/api/v1/canned-responses`).

Reading needs `tickets:read` (the ticket and chat reply boxes both offer them); changing
needs `admin`, as other account settings do.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import canned
from frontdesk.core.tickets.records import CannedResponse
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])
reader = scoped(Scope.TICKETS_READ)
admin = scoped(Scope.ADMIN)


class CannedIn(Strict):
    shortcut: str = Field(max_length=canned.MAX_SHORTCUT * 2, examples=["refund"])
    body: str = Field(
        max_length=canned.MAX_CANNED_BODY * 2,
        examples=["Hi {visitor_name}, your refund is on its way. {agent_name}"],
    )


class CannedOut(BaseModel):
    id: int
    shortcut: str
    body: str
    created: int
    updated: int


def _out(item: CannedResponse) -> CannedOut:
    return CannedOut(
        id=item.id,
        shortcut=item.shortcut,
        body=item.body,
        created=item.created,
        updated=item.updated,
    )


@router.get("", response_model=list[CannedOut])
def list_canned(
    q: str = Query("", max_length=200, description="shortcut or text containing this"),
    actor: Actor = Depends(reader),
    services: Services = Depends(services_of),
) -> list[CannedOut]:
    with services.store.read() as uow:
        return [_out(item) for item in canned.listed(uow, actor, q)]


@router.post("", response_model=CannedOut, status_code=201)
def create_canned(
    body: CannedIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> CannedOut:
    with services.store.write() as uow:
        made = canned.create(uow, actor, canned.CannedText(body.shortcut, body.body))
    return _out(made)


@router.get("/{canned_id}", response_model=CannedOut)
def get_canned(
    canned_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> CannedOut:
    with services.store.read() as uow:
        return _out(canned.get(uow, actor, canned_id))


@router.put("/{canned_id}", response_model=CannedOut)
def update_canned(
    canned_id: PathId,
    body: CannedIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> CannedOut:
    with services.store.write() as uow:
        changed = canned.update(uow, actor, canned_id, canned.CannedText(body.shortcut, body.body))
    return _out(changed)


@router.delete("/{canned_id}", status_code=204)
def delete_canned(
    canned_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        canned.delete(uow, actor, canned_id)
    return Response(status_code=204)
