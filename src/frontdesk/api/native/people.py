"""Contacts beyond the basics (scope `admin`): update, merge, their tickets and chats, and
the GDPR export and erasure (issue 18). Linking a chat to a contact is `chat:write`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from frontdesk.api.native import schemas as s
from frontdesk.api.native import translate as out
from frontdesk.api.native.archive import contact_archive
from frontdesk.api.native.chat import ChatOut, PublicId, _chat
from frontdesk.api.native.deps import scoped
from frontdesk.core import contacts
from frontdesk.core.contacts import ContactChanges
from frontdesk.core.people import contacts as people
from frontdesk.core.people import gdpr
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services, files

router = APIRouter(prefix="/api/v1", tags=["contacts"])
admin = scoped(Scope.ADMIN)
chat_writer = scoped(Scope.CHAT_WRITE)


class ContactPatch(s.Strict):
    """Fields given are changed; `""` clears an optional one. A new address must be free."""

    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)


class MergeContactIn(s.Strict):
    into_id: s.DbId = Field(description="The contact that stays")


class ContactTicketsOut(BaseModel):
    tickets: list[s.TicketOut]
    next_after_id: int | None = Field(description="Pass as `after_id` for the next page")


class ChatContactIn(s.Strict):
    contact_id: s.DbId | None = Field(description="The contact the visitor is; null: unknown")


class EraseIn(s.Strict):
    mode: gdpr.ErasureMode = Field(
        description="`anonymise`: their tickets stay, every text in them replaced; "
        "`delete`: their tickets are deleted"
    )


class ErasedOut(BaseModel):
    contact_id: int
    mode: gdpr.ErasureMode
    tickets: int
    chats: int
    files_removed: int


@router.patch("/contacts/{contact_id}", response_model=s.ContactOut)
def update_contact(
    contact_id: PathId,
    body: ContactPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.ContactOut:
    with services.store.write() as uow:
        changes = ContactChanges(**body.model_dump())
        return out.contact(contacts.update_contact(uow, actor, contact_id, changes))


@router.post("/contacts/{contact_id}/merge", response_model=s.ContactOut)
def merge_contact(
    contact_id: PathId,
    body: MergeContactIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.ContactOut:
    """Fold this contact into `into_id`: its tickets, chats, messages and customer tokens
    move there, and it is gone. Answers the contact that stays."""
    with services.store.write() as uow:
        return out.contact(people.merge_contacts(uow, actor, contact_id, body.into_id))


@router.get("/contacts/{contact_id}/tickets", response_model=ContactTicketsOut)
def contact_tickets(
    contact_id: PathId,
    after_id: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=people.MAX_PAGE)] = 25,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> ContactTicketsOut:
    """The tickets the contact requested, oldest first, without their messages."""
    base = services.settings.public_base_url
    with services.store.read() as uow:
        found, details = people.contact_tickets(
            uow, actor, contact_id, after_id=after_id, limit=limit
        )
    rendered = [out.ticket(ticket, details[ticket.id], base_url=base) for ticket in found]
    full = len(found) == limit
    return ContactTicketsOut(tickets=rendered, next_after_id=found[-1].id if full else None)


@router.get("/contacts/{contact_id}/chats", response_model=list[ChatOut])
def contact_chats(
    contact_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[ChatOut]:
    """The chats linked to the contact (`PUT /chat/conversations/{id}/contact`), newest first."""
    with services.store.read() as uow:
        return [_chat(item) for item in people.contact_chats(uow, actor, contact_id)]


@router.put("/chat/conversations/{conversation_id}/contact", response_model=ChatOut)
def link_chat(
    conversation_id: PublicId,
    body: ChatContactIn,
    actor: Actor = Depends(chat_writer),
    services: Services = Depends(services_of),
) -> ChatOut:
    with services.store.write() as uow:
        return _chat(people.link_chat(uow, actor, conversation_id, body.contact_id))


@router.get(
    "/contacts/{contact_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "A zip archive"}},
)
def export_contact(
    contact_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> StreamingResponse:
    """Everything held about the contact as one zip: `manifest.json` (the contact, their
    tickets with messages, their messages on other tickets, their chats with transcripts,
    the mail they sent) with the attachments' files and the raw mails (docs/native.md)."""
    with services.store.write() as uow:  # a write: the export itself is recorded
        dossier = gdpr.gather(uow, actor, contact_id)
    archive = contact_archive(dossier, services.blobs, services.settings.public_base_url)
    return StreamingResponse(
        archive.chunks(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact_id}.zip"',
            "Content-Length": str(archive.size),
        },
    )


@router.post("/contacts/{contact_id}/erase", response_model=ErasedOut)
def erase_contact(
    contact_id: PathId,
    body: EraseIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> ErasedOut:
    """Erase the contact: see docs/native.md, "GDPR". Cannot be undone."""
    began = time.time()
    with services.store.write() as uow:
        erased = gdpr.erase(uow, actor, contact_id, body.mode)
    removed = files.remove_unused(services.store, services.blobs, erased.stored_names, since=began)
    services.store.checkpoint()
    return ErasedOut(
        contact_id=erased.contact_id, mode=erased.mode, tickets=erased.tickets,
        chats=erased.chats, files_removed=len(removed),
    )  # fmt: skip
