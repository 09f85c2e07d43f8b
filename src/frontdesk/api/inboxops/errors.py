"""The InboxOps error body, for every error under /v1/workspaces/ (registered in app.py).

The vendor's text shows no error body. Its `:workspaceId` path notation and camelCase
fields read like a NestJS service, so errors take that framework's shape, plus a stable
machine code and the field to blame (docs/inboxops.md):

    {"statusCode": 400, "error": "Bad Request", "message": "...", "code": "...", "field": "limit"}

Anything wrong with the request itself is a 400 (NestJS validation answers 400, never
422); a state that forbids the change (an illegal transition, a merged ticket) is a 409.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi.responses import JSONResponse, Response

from frontdesk.http.errors import Problem

PREFIX = "/v1/workspaces/"

# The core's names for a few fields, as this dialect's clients spell them. An unknown
# agent can only come from the body's assigneeId (the list's `assignee` is not looked up).
_FIELDS = {"message": "body"}
_FIELDS_BY_CODE = {"agent_not_found": "assigneeId"}


def render(problem: Problem) -> Response:
    status = 400 if problem.status == 422 else problem.status
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body: dict[str, object] = {
        "statusCode": status,
        "error": phrase,
        "message": problem.message,
        "code": problem.code,
    }
    if problem.field:
        body["field"] = _FIELDS_BY_CODE.get(problem.code) or _FIELDS.get(
            problem.field, problem.field
        )
    return JSONResponse(body, status_code=status, headers=problem.headers)
