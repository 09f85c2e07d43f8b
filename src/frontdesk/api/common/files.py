"""Uploads in, attachments out: the HTTP half of file handling shared by every dialect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import Response

from frontdesk.core.shared.errors import TooLarge
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import Attachment


async def read_upload(upload: UploadFile, limit: int, ticket_id: int | None = None) -> Upload:
    """Read at most limit + 1 bytes, so an oversize file is refused without holding it all."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge("file_too_large", f"Files may be at most {limit} bytes", field="attachment")
    return Upload(filename=upload.filename or "", data=data, ticket_id=ticket_id)


def attachment_response(record: Attachment, data: bytes) -> Response:
    """Always a download, never rendered inline, and never sniffed into something else."""
    ascii_name = (
        record.original_name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    )
    disposition = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(record.original_name)}"
    )
    return Response(
        content=data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=0",
        },
    )
