"""Uploaded files into the blob store a chunk at a time, for every transport (the API
dialects and the web app): no whole file is ever held in memory.

The form parser has spooled each file (to disk above 1 MiB) and counted its size, so a
file over the limit, or an empty one, is refused before any byte of any file of the
request is stored; the count is checked again while streaming, as the reader goes.
Blocking: call these in the thread pool (a sync route already runs there).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import UploadFile

from frontdesk.core.tickets.attachments import SNIFF_BYTES, StoredFile, check_size, too_large
from frontdesk.storage.blobs import BlobBackend, Readable


def store_upload(
    upload: UploadFile, blobs: BlobBackend, limit: int, ticket_id: int | None = None
) -> StoredFile:
    """Stream one upload into the blob store; refused as soon as it passes the limit (the
    store drops what it had: no file, and no row, is left)."""
    if upload.size is not None:
        check_size(upload.size, limit)
    reader = LimitedReader(upload.file, limit)
    name = blobs.put_stream(reader)
    return StoredFile(upload.filename or "", name, reader.size, reader.head, ticket_id)


def store_uploads(
    uploads: Sequence[UploadFile], blobs: BlobBackend, limit: int, ticket_id: int | None = None
) -> tuple[StoredFile, ...]:
    """The files of a form (an unnamed part is no file: browsers send one for an empty
    file input). All are checked before the first is stored, so a refused second file
    leaves no stored first one behind."""
    named = [upload for upload in uploads if upload.filename]
    for upload in named:
        if upload.size is not None:
            check_size(upload.size, limit)
    return tuple(store_upload(upload, blobs, limit, ticket_id) for upload in named)


class LimitedReader:
    """A reader that counts, keeps the first bytes for typing, and stops past the limit."""

    def __init__(self, source: Readable, limit: int) -> None:
        self.source, self.limit = source, limit
        self.size = 0
        self.head = b""

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.source.read(size)
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.limit)
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        return chunk
