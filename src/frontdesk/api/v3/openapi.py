"""The v3 dialect's OpenAPI document (served at /v3/openapi.json, docs/v3.md)."""

from __future__ import annotations

from frontdesk.api.common.openapi import STRING, Description, Schema
from frontdesk.api.v3 import errors

ERROR: Schema = {
    "type": "object",
    "required": ["code", "message", "error"],
    "properties": {
        "code": {"type": "integer"},
        "message": STRING,
        "error": STRING,
        "field": STRING,
    },
}

DESCRIPTION = Description(
    title="Frontdesk: v3 customer tickets API",
    description="The v3 endpoints under /v3/tickets (docs/v3.md), for one customer each: "
    "`PRIVATE-TOKEN: <customer token>`.",
    owns=lambda path: path.startswith(errors.PREFIX),
    error=ERROR,
)
