"""Uploads in, attachments out: the HTTP half of file handling shared by every dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from frontdesk.core.shared.errors import Invalid, TooLarge
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import Attachment


async def read_upload(upload: UploadFile, limit: int, ticket_id: int | None = None) -> Upload:
    """Read at most limit + 1 bytes, so an oversize file is refused without holding it all."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge("file_too_large", f"Files may be at most {limit} bytes", field="attachment")
    return Upload(filename=upload.filename or "", data=data, ticket_id=ticket_id)


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
