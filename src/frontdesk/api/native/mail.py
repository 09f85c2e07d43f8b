"""Mail channel endpoints of the native API: IMAP mailboxes, inbound receipts (quarantine
included, with the raw mail), and a ticket's outgoing mail with its delivery state."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core import mail
from frontdesk.core.mail import outbox
from frontdesk.core.mail.records import ImapSettings, MailReceipt, OutboxMail
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services, sealing

router = APIRouter(prefix="/api/v1", tags=["mail"])
admin = scoped(Scope.ADMIN)
reader = scoped(Scope.TICKETS_READ)


class ImapIn(Strict):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=993, ge=1, le=65535)
    tls: bool = True
    username: str = Field(min_length=1, max_length=320)
    password: str | None = Field(default=None, max_length=1000)  # omitted: keep the stored one
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    enabled: bool = True
    auth: Literal["password", "oauth2"] = "password"  # oauth2: the inbox's OAuth grant


class ImapOut(BaseModel):
    """The password is write-only: only whether one is stored is shown."""

    inbox_id: int
    host: str
    port: int
    tls: bool
    username: str
    password_set: bool
    folder: str
    enabled: bool
    auth: str
    last_polled: int | None
    last_error: str | None
    updated: int


class ReceiptOut(BaseModel):
    id: int
    inbox_id: int | None
    source: str
    status: str
    email_message_id: str | None
    envelope_from: str | None
    recipients: list[str]
    from_address: str | None
    subject: str
    size: int
    ticket_id: int | None
    message_id: int | None
    error: str | None
    created: int


class OutgoingMailOut(BaseModel):
    id: int
    kind: str
    message_id: int | None
    from_address: str
    to: list[str]
    cc: list[str]
    subject: str
    email_message_id: str | None
    status: str
    attempts: int
    next_attempt: int
    last_error: str | None
    created: int
    sent: int | None


def _imap(record: ImapSettings) -> ImapOut:
    return ImapOut(
        inbox_id=record.inbox_id,
        host=record.host,
        port=record.port,
        tls=record.tls,
        username=record.username,
        password_set=bool(record.password),
        folder=record.folder,
        enabled=record.enabled,
        auth=record.auth,
        last_polled=record.last_polled,
        last_error=record.last_error,
        updated=record.updated,
    )


def _receipt(record: MailReceipt) -> ReceiptOut:
    return ReceiptOut(
        id=record.id,
        inbox_id=record.inbox_id,
        source=record.source,
        status=record.status,
        email_message_id=record.email_message_id,
        envelope_from=record.envelope_from,
        recipients=list(record.recipients),
        from_address=record.from_addr,
        subject=record.subject,
        size=record.size,
        ticket_id=record.ticket_id,
        message_id=record.message_id,
        error=record.error,
        created=record.created,
    )


def _outgoing(record: OutboxMail) -> OutgoingMailOut:
    return OutgoingMailOut(
        id=record.id,
        kind=record.kind,
        message_id=record.message_id,
        from_address=record.from_addr,
        to=list(record.to),
        cc=list(record.cc),
        subject=record.subject,
        email_message_id=record.email_message_id,
        status=record.status,
        attempts=record.attempts,
        next_attempt=record.next_attempt,
        last_error=record.last_error,
        created=record.created,
        sent=record.sent,
    )


@router.get("/inboxes/{inbox_id}/imap", response_model=ImapOut)
def get_imap(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> ImapOut:
    with services.store.read() as uow:
        return _imap(mail.get_imap(uow, actor, inbox_id))


@router.put("/inboxes/{inbox_id}/imap", response_model=ImapOut)
def put_imap(
    inbox_id: PathId,
    body: ImapIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> ImapOut:
    fields = mail.ImapFields(**body.model_dump())
    seal_password = sealing.sealer(services.settings.secret_key, sealing.IMAP_LOGIN)
    with services.store.write() as uow:
        return _imap(mail.set_imap(uow, actor, inbox_id, fields, seal=seal_password))


@router.delete("/inboxes/{inbox_id}/imap", status_code=204)
def delete_imap(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        mail.remove_imap(uow, actor, inbox_id)
    return Response(status_code=204)


@router.get("/mail/receipts", response_model=list[ReceiptOut])
def list_receipts(
    status: str | None = Query(default=None, max_length=20),
    after_id: int = Query(default=0, ge=0, le=MAX_ROW_ID),
    limit: int = Query(default=100, ge=1, le=1000),
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> list[ReceiptOut]:
    """Inbound mail, oldest first; `status=quarantined` lists what could not be delivered."""
    with services.store.read() as uow:
        found = mail.list_receipts(uow, actor, status, after_id=after_id, limit=limit)
    return [_receipt(item) for item in found]


@router.get("/mail/receipts/{receipt_id}", response_model=ReceiptOut)
def get_receipt(
    receipt_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> ReceiptOut:
    with services.store.read() as uow:
        return _receipt(mail.get_receipt(uow, actor, receipt_id))


@router.get("/mail/receipts/{receipt_id}/raw")
def get_raw(
    receipt_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    """The mail exactly as it arrived, as a download (never rendered inline)."""
    with services.store.read() as uow:
        receipt = mail.get_receipt(uow, actor, receipt_id)
    return StreamingResponse(
        services.blobs.stream(receipt.raw_sha256),  # opened now: missing bytes are a 404
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mail-{receipt.id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/tickets/{ticket_id}/mail", response_model=list[OutgoingMailOut])
def ticket_mail(
    ticket_id: PathId, actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> list[OutgoingMailOut]:
    """The ticket's outgoing mail, newest first: sent, waiting for a retry, or failed."""
    with services.store.read() as uow:
        return [_outgoing(item) for item in outbox.ticket_mail(uow, actor, ticket_id)]
