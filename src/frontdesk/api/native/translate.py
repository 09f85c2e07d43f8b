"""Core records to native response models."""

from __future__ import annotations

from collections.abc import Mapping

from frontdesk.api.native import schemas as s
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import business
from frontdesk.core.identity.records import Account, Agent, Credential, Inbox
from frontdesk.core.tickets.records import (
    Attachment,
    CustomField,
    Message,
    Named,
    Ticket,
    TicketDetails,
)


def account(record: Account) -> s.AccountOut:
    return s.AccountOut(
        id=record.id, name=record.name, public_id=record.public_id, created=record.created,
        time_zone=record.time_zone, language=record.language, logo_url=business.logo_path(record),
    )  # fmt: skip


def agent(record: Agent) -> s.AgentOut:
    return s.AgentOut(
        id=record.id,
        name=record.name,
        email=record.email,
        role=record.role,
        picture_url=record.picture_url,
        department=record.department,
        groups=list(record.groups),
        is_back_office=record.is_back_office,
        last_active=record.last_active,
        created=record.created,
        inbox_ids=list(record.inbox_ids),
    )


def inbox(record: Inbox) -> s.InboxOut:
    return s.InboxOut(
        id=record.id,
        name=record.name,
        email=record.email,
        auto_reply=record.auto_reply,
        created=record.created,
        signature=record.signature,
    )


def named(record: Named) -> s.NamedOut:
    return s.NamedOut(id=record.id, name=record.name, created=record.created)


def custom_field(record: CustomField) -> s.CustomFieldOut:
    return s.CustomFieldOut(
        id=record.id, name=record.name, created=record.created,
        type=record.type, options=list(record.options),
    )  # fmt: skip


def contact(record: Contact) -> s.ContactOut:
    return s.ContactOut(
        id=record.id,
        email=record.email,
        name=record.name,
        phone=record.phone,
        company=record.company,
        external_id=record.external_id,
        created=record.created,
    )


def credential(record: Credential) -> s.CredentialOut:
    return s.CredentialOut(
        id=record.id,
        name=record.name,
        key_id=record.key_id,
        scopes=sorted(scope.value for scope in record.scopes),
        contact_id=record.contact_id,
        created=record.created,
        last_used=record.last_used,
        revoked=record.revoked,
    )


def issued(record: Credential, token: str) -> s.IssuedOut:
    return s.IssuedOut(**credential(record).model_dump(), token=token)


def attachment(record: Attachment, base_url: str) -> s.AttachmentOut:
    return s.AttachmentOut(
        id=record.id,
        name=record.original_name,
        content_type=record.content_type,
        size=record.size,
        sha256=record.sha256,
        message_id=record.message_id,
        url=f"{base_url}/api/v1/attachments/{record.id}",
    )


def message(record: Message, attachments: list[Attachment], base_url: str) -> s.MessageOut:
    return s.MessageOut(
        id=record.id,
        uuid=record.uuid,
        kind=record.kind,
        agent_id=record.agent_id,
        contact_id=record.contact_id,
        from_email=record.from_email,
        from_name=record.from_name,
        to=list(record.to),
        cc=list(record.cc),
        bcc=list(record.bcc),
        body=record.body_text,
        body_html=record.body_html,
        created=record.created,
        attachments=[attachment(item, base_url) for item in attachments],
        unverified=record.unverified,
    )


def ticket(
    record: Ticket,
    details: TicketDetails,
    messages: list[Message] | None = None,
    attachments: Mapping[int, list[Attachment]] | None = None,
    base_url: str = "",
) -> s.TicketOut:
    return s.TicketOut(
        id=record.id,
        uuid=record.uuid,
        number=record.number,
        subject=record.subject,
        status=record.status,
        priority=record.priority,
        category_id=record.category_id,
        department_id=record.department_id,
        inbox_id=record.inbox_id,
        requester_id=record.requester_id,
        notes=record.notes,
        labels=list(details.labels),
        tags=list(details.tags),
        assignee_ids=list(details.assignee_ids),
        linked_ids=list(details.linked_ids),
        custom_fields=dict(details.custom_fields),
        archived_at=record.archived_at,
        merged_into_id=record.merged_into_id,
        force_closed=record.force_closed,
        created=record.created,
        updated=record.updated,
        latest_activity=record.latest_activity,
        client_last_replied=record.client_last_replied,
        client_last_read=record.client_last_read,
        version=record.version,
        messages=None
        if messages is None
        else [message(item, (attachments or {}).get(item.id, []), base_url) for item in messages],
    )
