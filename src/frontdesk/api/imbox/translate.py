"""Core records to ImBox shapes and back. ImBox words only live here and in schemas.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode

from fastapi.responses import Response
from starlette.datastructures import QueryParams

from frontdesk.api.common.responses import model_json
from frontdesk.api.imbox import schemas as s
from frontdesk.core.mail.submissions import Submission
from frontdesk.core.shared.clock import iso_ms
from frontdesk.core.shared.html import looks_like_html
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.listing import TicketView
from frontdesk.core.tickets.records import (
    Attachment,
    ListedEmail,
    ListedTicket,
    Message,
    MessageKind,
)

TICKET_COLUMNS = (
    "sid",
    "inboxName",
    "ticketID",
    "status",
    "subject",
    "fromEmail",
    "labels",
    "createdDate",
    "updatedDate",
    "latestUpdated",
)
EMAIL_COLUMNS = (
    "createdDate",
    "inboxName",
    "fromAddress",
    "fromName",
    "ticketID",
    "to",
    "cc",
    "bcc",
    "unverifiedSender",
)
LIST_SEPARATOR = ", "


def page_json(envelope: s.TicketListOut | s.EmailListOut) -> Response:
    """A list page; `next` is left out when there is nothing after it."""
    return model_json(envelope, exclude={"next"} if envelope.next is None else None)


def _date(ms: int) -> str:
    return iso_ms(ms) or ""


# -- listTickets -------------------------------------------------------------------------------


def ticket(item: ListedTicket) -> s.TicketOut:
    record = item.ticket
    return s.TicketOut(
        sid=record.account_id,
        inboxName=item.inbox_name,
        ticketID=record.id,
        status=record.status.value,
        subject=record.subject,
        fromEmail=item.requester_email,
        labels=list(item.labels),
        createdDate=_date(record.created),
        updatedDate=_date(record.updated),
        latestUpdated=_date(record.latest_activity),
    )


def ticket_cells(item: ListedTicket) -> list[object]:
    """The TICKET_COLUMNS of one row; built directly, as exports run to many thousands."""
    record = item.ticket
    return [
        record.account_id,
        item.inbox_name,
        record.id,
        record.status.value,
        record.subject,
        item.requester_email,
        LIST_SEPARATOR.join(item.labels),
        _date(record.created),
        _date(record.updated),
        _date(record.latest_activity),
    ]


def ticket_cursor(item: ListedTicket) -> dict[str, str]:
    return {"cursorId": str(item.ticket.id), "cursorUpdated": str(item.ticket.updated)}


# -- listTicketsEmails ---------------------------------------------------------------------------


def email(item: ListedEmail) -> s.EmailOut:
    return s.EmailOut(
        createdDate=_date(item.created),
        inboxName=item.inbox_name,
        sender=s.FromOut(address=item.from_email, name=item.from_name),
        ticketID=item.ticket_id,
        agentID=item.agent_id,
        to=[s.AddressOut(address=address) for address in item.to],
        cc=[s.AddressOut(address=address) for address in item.cc],
        bcc=[s.AddressOut(address=address) for address in item.bcc],
        unverifiedSender=item.unverified,
    )


def email_cells(item: ListedEmail) -> list[object]:
    return [
        _date(item.created),
        item.inbox_name,
        item.from_email,
        item.from_name,
        item.ticket_id,
        LIST_SEPARATOR.join(item.to),
        LIST_SEPARATOR.join(item.cc),
        LIST_SEPARATOR.join(item.bcc),
        "true" if item.unverified else "false",
    ]


def email_cursor(item: ListedEmail) -> dict[str, str]:
    return {"cursorId": str(item.id), "cursorCreated": str(item.created)}


# -- paging ------------------------------------------------------------------------------------


def next_url(base: str, path: Sequence[str], params: QueryParams, cursor: dict[str, str]) -> str:
    """The same request with the cursor moved on: every filter the client sent, in order."""
    kept = [(name, value) for name, value in params.multi_items() if name not in cursor]
    segments = "/".join(quote(segment, safe="") for segment in path)
    return f"{base}/message/{segments}?{urlencode([*kept, *cursor.items()])}"


# -- grabTicket ----------------------------------------------------------------------------------


def attachment_url(base: str, api_key: str, user_id: str, attachment_id: int) -> str:
    """The dialect's own download route, authorised by the same key as the request."""
    key, user = quote(api_key, safe=""), quote(user_id, safe="")
    return f"{base}/message/attachment/{key}/{user}/{attachment_id}"


def grab(view: TicketView, attachment_url: Callable[[Attachment], str]) -> s.GrabOut:
    thread = view.thread
    record, details = thread.ticket, thread.details
    messages = [
        _message(item, [attachment_url(a) for a in thread.attachments.get(item.id, [])])
        for item in thread.messages
    ]
    agents = [view.assignees[i] for i in details.assignee_ids if i in view.assignees]
    return s.GrabOut(
        data=messages,
        length=len(messages),
        meta=s.MetaOut(
            tags=[s.TagOut(tag=tag) for tag in details.tags],
            labels=[s.LabelOut(label=label) for label in details.labels],
            notes=record.notes,
            linkedTickets=[s.LinkedOut(ticketId=linked) for linked in details.linked_ids],
            ticketStatus=record.status.value,
            assignedAgents=[
                s.AssignedOut(id=agent.id, agentName=agent.name, agentEmail=agent.email)
                for agent in agents
            ],
            customFields=[
                s.FieldOut(title=title, value=value) for title, value in details.custom_fields
            ],
        ),
    )


def _message(record: Message, attachments: list[str]) -> s.MessageOut:
    return s.MessageOut(
        sid=record.account_id,
        ticketID=str(record.ticket_id),
        sender=record.from_email,
        fromName=record.from_name,
        agentID=record.agent_id,
        messageType=record.kind.value,
        messagePlain=record.body_text,
        messageHtml=record.body_html,
        attachments=attachments,
        date=_date(record.created),
        unverifiedSender=record.unverified,
    )


# -- insertTicket --------------------------------------------------------------------------------


def submission(body: s.InsertTicketIn, files: list[Upload]) -> Submission:
    # HTML only when it really is (core.shared.html): plain text is kept exactly as sent.
    is_html = looks_like_html(body.message)
    return Submission(
        from_email=body.fromEmail,
        from_name=body.fromName,
        to_email=body.toEmail,
        subject=body.subject,
        body_text=None if is_html else body.message,
        body_html=body.message if is_html else None,
        kind=MessageKind(body.messageType),
        status=body.status,
        labels=tuple(body.labels),
        assignee_emails=tuple(body.assignAgents),
        files=tuple(files),
        ticket_id=body.ticketId,
        append_to_open=body.appendOpenTicket,
        auto_reply=body.autoReply,
    )


def inserted(ticket_id: int) -> s.InsertOut:
    return s.InsertOut(data=s.InsertedOut(ticketID=ticket_id))
