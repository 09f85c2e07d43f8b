"""The InboxOps dialect's OpenAPI document (served at /v1/openapi.json, docs/inboxops.md)."""

from __future__ import annotations

from frontdesk.api.common.openapi import STRING, Description, Schema, nullable
from frontdesk.api.inboxops import errors

ERROR: Schema = {
    "type": "object",
    "required": ["statusCode", "error", "message", "code"],
    "properties": {
        "statusCode": {"type": "integer"},
        "error": STRING,
        "message": STRING,
        "code": STRING,
        "field": nullable(STRING),
    },
}

DESCRIPTION = Description(
    title="Frontdesk: InboxOps workspace tickets API",
    description="The InboxOps endpoints under /v1/workspaces/{workspaceId}/tickets "
    "(docs/inboxops.md). Every request carries `Authorization: Bearer <key>` and "
    "`x-workspace-id`.",
    owns=lambda path: path.startswith(errors.PREFIX),
    error=ERROR,
    security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
)
