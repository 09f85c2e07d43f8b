"""Frontdesk's own OpenAPI document (served at /api/v1/openapi.json, docs/native.md):
only the native routes; each vendor dialect has its own."""

from __future__ import annotations

from frontdesk.api.common.openapi import STRING, Description, Schema

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": STRING, "message": STRING, "field": STRING},
        }
    },
}

DESCRIPTION = Description(
    title="Frontdesk",
    description="Frontdesk's own API: admin and tickets (docs/native.md), live chat for "
    "agents (docs/chat.md). `Authorization: Bearer <API key>`.",
    owns=lambda path: path.startswith("/api/v1/") or path in ("/healthz", "/readyz"),
    error=ERROR,
    bad_input=422,
)
