"""Core records to v3 shapes and back: status words, priority names, hashes, Unix seconds.

Pure functions, no I/O. Status, both ways (docs/v3.md):

| core                          | v3             |
|-------------------------------|----------------|
| new, reply, pending, on-hold  | `open`         |
| solved, closed                | `closed`       |
| closed by an agent with force | `force-closed` |

and `PUT .../open` asks for `reply` (awaiting an agent), `PUT .../close` for `closed`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from fastapi.responses import JSONResponse, Response

from frontdesk.api.v3 import schemas as s
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.customers import CustomerThread, Reply
from frontdesk.core.tickets.records import (
    OPEN_STATUSES,
    Attachment,
    CustomerTicket,
    Priority,
    Status,
)

OPEN = "open"
CLOSED = "closed"
FORCE_CLOSED = "force-closed"
WORDS = (OPEN, CLOSED, FORCE_CLOSED)

PRIORITY_NAMES = {
    Priority.LOW: "Low",
    Priority.NORMAL: "Normal",
    Priority.HIGH: "High",
    Priority.URGENT: "Urgent",
}

HASH_LENGTH = 32  # hex characters: 128 bits


def wants_json(accept: str | None) -> bool:
    """Whether the client asks for JSON by name (`application/json`, q above 0). `*/*` or
    no Accept at all keeps the raw download, as every client had it before."""
    for item in (accept or "").split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        if kind.lower() != "application/json":
            continue
        quality = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
        try:
            return float(quality) > 0
        except ValueError:
            return True
    return False


def attachment_json(data: bytes) -> Response:
    """The spec's `application/json` string: the file's bytes, base64 (RFC 4648)."""
    return JSONResponse(
        base64.b64encode(data).decode("ascii"),
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=0",
                 "Vary": "Accept"},
    )  # fmt: skip


_HASH_PURPOSE = b"frontdesk/v3/ticket-hash\x00"
_READ_HASH_PURPOSE = b"frontdesk/v3/ticket-read-hash\x00"


def status_word(status: Status, force_closed: bool) -> str:
    if status in OPEN_STATUSES:
        return OPEN
    return FORCE_CLOSED if force_closed and status is Status.CLOSED else CLOSED


def status_for(word: str) -> Status:
    """The core status a customer's open / close asks for. Only an agent force-closes."""
    if word == OPEN:
        return Status.REPLY
    if word == CLOSED:
        return Status.CLOSED
    raise Invalid("invalid_status", f"A customer cannot set the status {word[:40]!r}")


def seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def ticket_hash(secret: str, ticket_uuid: str, *, read: bool = False) -> str:
    """HMAC-SHA256 of the ticket's UUID under the server's secret key, one purpose each.

    Stable for a ticket while the secret key stays; unguessable without it; the two
    hashes of a ticket cannot be derived from each other.
    """
    purpose = _READ_HASH_PURPOSE if read else _HASH_PURPOSE
    mac = hmac.new(secret.encode(), purpose + ticket_uuid.encode(), hashlib.sha256)
    return mac.hexdigest()[:HASH_LENGTH]


def ticket(item: CustomerTicket, secret: str) -> s.TicketOut:
    record = item.ticket
    return s.TicketOut(
        id=record.id,
        hash=ticket_hash(secret, record.uuid),
        readHash=ticket_hash(secret, record.uuid, read=True),
        title=record.subject,
        categoryName=item.category_name or "",
        priorityName=PRIORITY_NAMES[record.priority],
        createdAt=record.created // 1000,
        updatedAt=record.updated // 1000,
        clientLastRepliedAt=seconds(record.client_last_replied),
        clientLastReadAt=seconds(record.client_last_read),
        status=status_word(record.status, record.force_closed),
        numUserReplies=item.user_replies,
    )


def tickets(items: Sequence[CustomerTicket], secret: str) -> list[s.TicketOut]:
    return [ticket(item, secret) for item in items]


def attachment(record: Attachment) -> s.AttachmentOut:
    return s.AttachmentOut(
        id=record.id,
        fileName=record.original_name,
        contentType=record.content_type,
        size=record.size,
    )


def reply(item: Reply) -> s.ReplyOut:
    return s.ReplyOut(
        id=item.message.id,
        content=item.message.body_text,
        createdAt=item.message.created // 1000,
        author="agent" if item.by_agent else "customer",
        authorName=item.message.from_name,
        attachments=[attachment(record) for record in item.attachments],
        unverifiedSender=item.message.unverified,
    )


def thread(item: CustomerThread, secret: str) -> s.TicketDetailOut:
    return s.TicketDetailOut(
        **ticket(item.summary, secret).model_dump(),
        replies=[reply(entry) for entry in item.replies],
    )
