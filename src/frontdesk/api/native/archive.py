"""A contact's GDPR export as one zip: `manifest.json`, the attachments' files and the raw
mails the contact sent (`.eml`).

The manifest shows each object as the native API does (a ticket as `GET /tickets/{id}`
answers it, a chat as the chat endpoints do, a mail as `GET /mail/receipts/{id}`), so a
reader needs no other documentation.
The archive is built in a spooled temporary file: in memory while small, on disk beyond
SPOOL_BYTES, so that a contact with many large files costs no more memory than a small one;
each file goes into it a chunk at a time from the blob store, never whole in memory.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from frontdesk.api.native import translate as out
from frontdesk.api.native.chat import _chat, _message
from frontdesk.api.native.mail import _receipt
from frontdesk.core.mail.records import MailReceipt
from frontdesk.core.people.gdpr import Dossier
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets.attachments import safe_name
from frontdesk.core.tickets.records import Attachment
from frontdesk.storage.blobs import BlobBackend

FORMAT = "frontdesk-contact-export/1"
# Past this the archive is on disk: the spool holds at most this much, and copies it once
# when it rolls over (8 MiB cost a 20 MiB export 12 MiB of memory).
SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024


@dataclass
class Archive:
    file: IO[bytes]
    size: int

    def chunks(self) -> Iterator[bytes]:
        try:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK):
                yield chunk
        finally:
            self.file.close()


def contact_archive(dossier: Dossier, blobs: BlobBackend, base_url: str) -> Archive:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by chunks)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = [_add_file(archive, blobs, item) for item in _attachments(dossier)]
        manifest = {
            "format": FORMAT,
            "generated": now_ms(),
            "contact": out.contact(dossier.contact).model_dump(mode="json"),
            "tickets": [
                out.ticket(t.ticket, t.details, t.messages, t.attachments, base_url).model_dump(
                    mode="json"
                )
                for t in dossier.threads
            ],
            "chats": [
                {
                    **_chat(conversation).model_dump(mode="json"),
                    "messages": [_message(m).model_dump(mode="json") for m in messages],
                }
                for conversation, messages in dossier.chats
            ],
            "messages_elsewhere": [
                {
                    "ticket_id": t.ticket.id,
                    **out.message(m, t.attachments.get(m.id, []), base_url).model_dump(mode="json"),
                }
                for t in dossier.elsewhere
                for m in t.messages
            ],
            "mails": [_add_mail(archive, blobs, item) for item in dossier.mails],
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return Archive(spool, spool.tell())


def _attachments(dossier: Dossier) -> Iterator[Attachment]:
    for thread in [*dossier.threads, *dossier.elsewhere]:
        for attachments in thread.attachments.values():
            yield from attachments


def _add_file(archive: zipfile.ZipFile, blobs: BlobBackend, item: Attachment) -> dict[str, Any]:
    """The file into the archive under its id and clean name; its line of the manifest."""
    path = f"files/{item.id}-{safe_name(item.original_name) or 'file'}"
    _copy(archive, path, blobs, item.stored_name, item.size)
    return {
        "attachment_id": item.id,
        "message_id": item.message_id,
        "path": path,
        "sha256": item.sha256,
        "size": item.size,
    }


def _add_mail(archive: zipfile.ZipFile, blobs: BlobBackend, item: MailReceipt) -> dict[str, Any]:
    """The raw mail, byte for byte, into the archive; its receipt with the path."""
    path = f"mail/{item.id}.eml"
    _copy(archive, path, blobs, item.raw_sha256, item.size)
    return {**_receipt(item).model_dump(mode="json"), "path": path, "sha256": item.raw_sha256}


def _copy(archive: zipfile.ZipFile, path: str, blobs: BlobBackend, name: str, size: int) -> None:
    """A blob into the archive as it streams from its store (local disk or S3). An entry
    written from a stream has no size up front: zip64 is asked for when it may need it."""
    with archive.open(path, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as entry:
        for chunk in blobs.stream(name):
            entry.write(chunk)
