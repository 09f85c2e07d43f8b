"""Uploads in, attachments out: the HTTP half of file handling shared by every dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData, UploadFile

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.records import Attachment
from frontdesk.storage.blobs import BlobBackend

# An upload form carries one file and a field or two; anything more is refused (400).
MAX_FORM_FILES = 1
MAX_FORM_FIELDS = 10
MAX_FIELD_BYTES = 64 * 1024


async def upload_form(request: Request) -> FormData:
    """The request's multipart form, read by a route only once its caller is authenticated.

    An upload route takes `request` rather than FastAPI's File() parameters: FastAPI reads
    a declared form before it resolves any dependency, so the body (up to the attachment
    limit) was received in full before a wrong key was told 401.
    """
    return await request.form(
        max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
    )


def form_file(form: FormData, names: Sequence[str], field: str) -> UploadFile:
    """The form's file under the first of `names` that has one."""
    for name in names:
        value = form.get(name)
        if isinstance(value, UploadFile):
            return value
    raise Invalid("file_required", f"Send the file as multipart field `{names[0]}`", field=field)


def multipart_body(*files: str, **fields: str) -> dict[str, Any]:
    """OpenAPI for a route that reads its form itself: `files` are binary fields,
    `fields` map a form field to its JSON-schema type."""
    properties: dict[str, Any] = {name: {"type": "string", "format": "binary"} for name in files}
    properties.update({name: {"type": kind} for name, kind in fields.items()})
    schema = {"type": "object", "properties": properties, "required": list(files[:1])}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


def attachment_download(record: Attachment, blobs: BlobBackend) -> Response:
    """The file streamed a chunk at a time from its store, or, with presigned downloads
    configured (FRONTDESK_S3_PRESIGN), a redirect to a short-lived URL of the bucket that
    answers with the same disposition and type. Found before the response starts: a
    missing file is the dialect's 404, not a broken stream."""
    url = blobs.download_url(record.stored_name, record.original_name, record.content_type)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    return StreamingResponse(
        blobs.stream(record.stored_name),
        media_type=record.content_type,
        headers={**_download_headers(record), "Content-Length": str(record.size)},
    )


def _download_headers(record: Attachment) -> dict[str, str]:
    ascii_name = (
        record.original_name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    )
    disposition = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(record.original_name)}"
    )
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=0",
    }
