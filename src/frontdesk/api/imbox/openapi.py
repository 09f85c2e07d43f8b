"""The ImBox dialect's OpenAPI document (served at /message/openapi.json, docs/imbox.md).

The routes describe their paths and answers; the query strings, which `schemas.py` parses
by hand, are listed here with the vendor's parameter names.
"""

from __future__ import annotations

from frontdesk.api.common.openapi import STRING, Description, Schema, nullable
from frontdesk.api.imbox import errors
from frontdesk.core.tickets.listing import MAX_PAGE
from frontdesk.core.tickets.records import Status


def _query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _many(name: str, item: Schema, description: str) -> Schema:
    return {**_query(name, {"type": "array", "items": item}, description), "explode": True}


_DATE = "A date (2020-01-01) or a date-time (2020-01-01T12:00:00.000Z)"
_WHEN: Schema = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}
_FILE_TYPE = _query("fileType", {"type": "string", "enum": ["json", "csv"]}, "Default json")
_CURSOR = {"type": "integer", "minimum": 0}
_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Default 100")
_DIGITS: Schema = {"type": "string", "pattern": "^[0-9]{1,10}$"}

LIST_TICKETS = [
    _LIMIT,
    _query("updatedAfter", _WHEN, _DATE),
    _query("updatedBefore", _WHEN, _DATE),
    _query("latestUpdatedAfter", _WHEN, _DATE),
    _query("latestUpdatedBefore", _WHEN, _DATE),
    _query("fromEmail", STRING, "The requester's address"),
    _query("status", {"type": "string", "enum": [s.value for s in Status]}, "A status word"),
    _FILE_TYPE,
    _query("cursorId", _CURSOR, "The last ticket id of the previous page"),
    _query("cursorUpdated", _CURSOR, "Its updatedDate in epoch ms (checked, then ignored)"),
    _many("label", STRING, "Tickets with any of these labels"),
]
LIST_EMAILS = [
    _LIMIT,
    _query("startTime", _WHEN, _DATE, required=True),
    _query("endTime", _WHEN, _DATE, required=True),
    _query("timezone", STRING, "An IANA time zone; default Europe/Stockholm"),
    _FILE_TYPE,
    _query("cursorId", _CURSOR, "The last e-mail id of the previous page"),
    _query("cursorCreated", _CURSOR, "Its createdDate in epoch ms"),
]
PAGE_FILTERS = [_many("pageFilterId", _DIGITS, "Any of these page filters")]
CHAT_STATISTICS = [
    _query("startTime", _WHEN, "2020-01-01T00:00:00.000Z", required=True),
    _query("endTime", _WHEN, "Default: now"),
    _query("agentId", _DIGITS, "An agent id"),
    _many("agentIds", _DIGITS, "Any of these agents"),
    _query("channel", STRING, "A conversation id (V...)"),
    _many("channels", STRING, "Any of these conversations"),
    _FILE_TYPE,
    _query("timezone", STRING, "An IANA time zone; default Europe/Stockholm"),
    *PAGE_FILTERS,
]

ERROR: Schema = {
    "type": "object",
    "required": ["result", "message", "code", "field"],
    "properties": {
        "result": {"type": "string", "enum": ["error"]},
        "message": STRING,
        "code": STRING,
        "field": nullable(STRING),
    },
}

DESCRIPTION = Description(
    title="Frontdesk: ImBox tickets and chat API",
    description="The ImBox endpoints under /message/ (docs/imbox.md, docs/chat.md). "
    "The API key and the user id travel in the path.",
    owns=lambda path: path.startswith(errors.PREFIX),
    error=ERROR,
    parameters={
        ("GET", "/message/listTickets/{apiKey}/{userId}"): LIST_TICKETS,
        ("GET", "/message/listTicketsEmails/{apiKey}/{userId}"): LIST_EMAILS,
        ("GET", "/message/listConversations/{apiKey}/{userId}/{fromDate}/{toDate}"): PAGE_FILTERS,
        ("GET", "/message/chatStatistics/{apiKey}/{userId}"): CHAT_STATISTICS,
    },
)
