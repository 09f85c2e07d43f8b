"""Uploaded files: size-checked, typed from their bytes, stored under their hash."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

import filetype

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound, TooLarge
from frontdesk.core.shared.ports import BlobStore
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import get_ticket, visible
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Attachment, MessageKind

MAX_NAME = 255
FALLBACK_NAME = "attachment"


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    ticket_id: int | None = None


# sniff_type reads no further than this (filetype reads the first 8 KiB).
SNIFF_BYTES = 65536


@dataclass(frozen=True)
class StoredFile:
    """An upload whose bytes the caller has already streamed into the blob store (the API
    upload routes, so that no whole file is held in memory): the name the store gave them,
    their size, and their first SNIFF_BYTES, which are all that typing them needs."""

    filename: str
    stored_name: str
    size: int
    head: bytes
    ticket_id: int | None = None


def safe_name(filename: str) -> str:
    """A display name with no path, no control characters and no leading dots.

    It is only metadata: files are stored under their sha256, never under this name.
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        _stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_NAME - len(keep) - 1] + "." + keep if keep else name[:MAX_NAME]
    return name or FALLBACK_NAME


def sniff_type(data: bytes) -> str:
    """The content type the bytes themselves show; the client's claim is never trusted."""
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" not in data[:8192]:
        try:
            data[:65536].decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sample's end is still text.
            if exc.start < len(data[:65536]) - 4:
                return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


def upload(
    uow: TicketsUnit, blobs: BlobStore, actor: Actor, item: Upload, limit: int
) -> Attachment:
    check_size(len(item.data), limit)
    if item.ticket_id is not None:
        get_ticket(uow, actor, item.ticket_id)
    digest = blobs.put(item.data)
    head = item.data[:SNIFF_BYTES]
    return _record(
        uow, actor, StoredFile(item.filename, digest, len(item.data), head, item.ticket_id)
    )


def upload_stored(uow: TicketsUnit, actor: Actor, item: StoredFile, limit: int) -> Attachment:
    """The row for bytes already stored. Refused here, they stay unnamed: `blobs gc`
    removes them later, as any file a failed write leaves."""
    check_size(item.size, limit)
    if item.ticket_id is not None:
        get_ticket(uow, actor, item.ticket_id)
    return _record(uow, actor, item)


def check_size(size: int, limit: int) -> None:
    if not size:
        raise Invalid("empty_file", "The file is empty", field="attachment")
    if size > limit:
        raise too_large(limit)


def too_large(limit: int) -> TooLarge:
    return TooLarge("file_too_large", f"Files may be at most {limit} bytes", field="attachment")


def _record(uow: TicketsUnit, actor: Actor, item: StoredFile) -> Attachment:
    now = now_ms()
    attachment = uow.attachments.insert_attachment(
        {
            "uuid": str(uuid.uuid4()),
            "account_id": actor.account_id,
            "ticket_id": item.ticket_id,
            "message_id": None,
            "contact_id": actor.contact_id,
            "original_name": safe_name(item.filename),
            "stored_name": item.stored_name,
            "content_type": sniff_type(item.head),
            "size": item.size,
            "sha256": item.stored_name,
            "created": now,
        }
    )
    events.record(
        uow,
        actor,
        events.ATTACHMENT_UPLOADED,
        now,
        ticket_id=item.ticket_id,
        attachment_id=attachment.id,
    )
    return attachment


def get_attachment(uow: TicketsUnit, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment the actor may see: a customer sees their own uploads and tickets only."""
    attachment = uow.attachments.get_attachment(actor.account_id, attachment_id)
    if attachment is None or not _visible(uow, actor, attachment):
        raise NotFound("attachment_not_found", f"No attachment {attachment_id}")
    return attachment


def _visible(uow: TicketsUnit, actor: Actor, attachment: Attachment) -> bool:
    """A customer sees their own uploads, and files on the conversation of their tickets;
    never a file on an internal note, nor an agent's upload that no message carries yet."""
    if actor.contact_id is None:
        return True
    if attachment.message_id is None:
        return attachment.contact_id == actor.contact_id
    carriers = uow.tickets.get_messages(actor.account_id, [attachment.message_id])
    if not carriers or carriers[0].kind is not MessageKind.EXTERNAL:
        return False
    return visible(uow.tickets.get_ticket(actor.account_id, carriers[0].ticket_id), actor)


def read(
    uow: TicketsUnit, blobs: BlobStore, actor: Actor, attachment_id: int
) -> tuple[Attachment, bytes]:
    attachment = get_attachment(uow, actor, attachment_id)
    return attachment, blobs.open(attachment.stored_name)


def delete_uncoupled(uow: TicketsUnit, actor: Actor, attachment_id: int) -> Attachment:
    """Delete an upload that no message carries yet. The bytes stay until nothing uses them."""
    attachment = get_attachment(uow, actor, attachment_id)
    if attachment.message_id is not None:
        raise Conflict("attachment_in_use", "The attachment is on a message and cannot be deleted")
    uow.attachments.delete_attachment(attachment.id)
    events.record(
        uow, actor, events.ATTACHMENT_DELETED, now_ms(), ticket_id=attachment.ticket_id,
        attachment_id=attachment.id,
    )  # fmt: skip
    return attachment
