"""Core records to InboxOps shapes. Pure functions, no I/O.

Ids are UUIDs (tickets, messages, attachments, and users: assigneeId, authorId are the
agent's UUID, as the spec shows users). Times are ISO 8601 in UTC with milliseconds. A
ticket has one assignee here: of several (another dialect may assign more), the lowest
agent id shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from frontdesk.api.inboxops import schemas as s
from frontdesk.api.inboxops.words import status_word
from frontdesk.core.contacts.records import Contact
from frontdesk.core.mail.outbox import QUEUED
from frontdesk.core.mail.replies import Posted
from frontdesk.core.shared.clock import iso_ms
from frontdesk.core.tickets.records import Attachment, Message, MessageKind, Ticket, TicketDetails

MESSAGE_TYPES = {
    MessageKind.EXTERNAL: "reply",
    MessageKind.INTERNAL: "note",
    MessageKind.LOG: "log",
}


@dataclass(frozen=True, slots=True)
class Context:
    """What every rendered object needs besides its record."""

    workspace_id: str
    base_url: str
    users: Mapping[int, str] = field(default_factory=dict)  # agent id -> UUID

    def user(self, agent_id: int | None) -> str | None:
        """An agent as the spec shows users: by UUID."""
        if agent_id is None:
            return None
        return self.users.get(agent_id, str(agent_id))

    def attachment_url(self, ticket_uuid: str, attachment_uuid: str) -> str:
        return (
            f"{self.base_url}/v1/workspaces/{self.workspace_id}/tickets/{ticket_uuid}"
            f"/attachments/{attachment_uuid}"
        )


def _when(ms: int) -> str:
    return iso_ms(ms) or ""


def ticket(
    ctx: Context,
    record: Ticket,
    details: TicketDetails,
    requester: Contact | None,
    merged_into: str | None,
) -> s.TicketOut:
    return s.TicketOut(**_ticket_fields(ctx, record, details, requester, merged_into))


def _ticket_fields(
    ctx: Context,
    record: Ticket,
    details: TicketDetails,
    requester: Contact | None,
    merged_into: str | None,
) -> dict[str, object]:
    assignee = min(details.assignee_ids) if details.assignee_ids else None
    return {
        "id": record.uuid,
        "workspaceId": ctx.workspace_id,
        "ticketNumber": record.number,
        "subject": record.subject,
        "status": status_word(record.status),
        "priority": record.priority.value,
        "assigneeId": ctx.user(assignee),
        "tags": list(details.tags),
        "requesterEmail": requester.email if requester else None,
        "requesterName": requester.name if requester else None,
        "archivedAt": iso_ms(record.archived_at),
        "mergedIntoId": merged_into,
        "createdAt": _when(record.created),
        "updatedAt": _when(record.updated),
        "lastActivityAt": _when(record.latest_activity),
    }


def detail(
    ctx: Context,
    record: Ticket,
    details: TicketDetails,
    requester: Contact | None,
    merged_into: str | None,
    messages: Sequence[Message],
    attachments: Mapping[int, list[Attachment]],
) -> s.TicketDetailOut:
    return s.TicketDetailOut(
        **_ticket_fields(ctx, record, details, requester, merged_into),
        messages=[
            message(ctx, record.uuid, item, attachments.get(item.id, [])) for item in messages
        ],
    )


def posted(shown: s.MessageOut, posted: Posted) -> s.PostedMessageOut:
    reason = posted.not_emailed.value if posted.not_emailed is not None else None
    return s.PostedMessageOut(
        **shown.model_dump(),
        emailSent=posted.emailed,
        emailNotSentReason=reason,
        emailStatus=QUEUED if posted.emailed else None,
    )


def message(
    ctx: Context, ticket_uuid: str, record: Message, attachments: Sequence[Attachment]
) -> s.MessageOut:
    return s.MessageOut(
        id=record.uuid,
        ticketId=ticket_uuid,
        type=MESSAGE_TYPES[record.kind],
        isInternal=record.kind is not MessageKind.EXTERNAL,
        body=record.body_text,
        bodyHtml=record.body_html,
        authorType=_author_type(record),
        authorId=ctx.user(record.agent_id),
        fromAddress=record.from_email,
        fromName=record.from_name,
        toAddresses=list(record.to),
        ccAddresses=list(record.cc),
        attachments=[attachment(ctx, ticket_uuid, item, record.uuid) for item in attachments],
        createdAt=_when(record.created),
        unverifiedSender=record.unverified,
    )


def _author_type(record: Message) -> str:
    if record.kind is MessageKind.LOG:
        return "system"
    return "customer" if record.contact_id is not None else "agent"


def attachment(
    ctx: Context, ticket_uuid: str, record: Attachment, message_uuid: str | None
) -> s.AttachmentOut:
    return s.AttachmentOut(
        id=record.uuid,
        ticketId=ticket_uuid,
        messageId=message_uuid,
        fileName=record.original_name,
        contentType=record.content_type,
        size=record.size,
        url=ctx.attachment_url(ticket_uuid, record.uuid),
        createdAt=_when(record.created),
    )
