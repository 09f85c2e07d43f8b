"""The ImBox error envelope, for every error under /message/ (registered in app.py).

ImBox answers `{"result": "success", ...}`; an error is the same envelope with
`"result": "error"`, a human message, and a stable machine code. Bad input of any kind
(query, path or body) is a 400 here: the vendor's style has no 422.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from frontdesk.http.errors import Problem

PREFIX = "/message/"
# Errors about the key, the user or an object named in the path blame that path
# parameter, as the vendor's parameter tables name them; `field` is always in the body
# (null only when no one input is to blame, as for an unknown path).
_FIELD_BY_CODE = {
    "invalid_credentials": "apiKey",
    "missing_scope": "apiKey",
    "too_many_failures": "apiKey",
    "wrong_user": "userId",
    "ticket_not_found": "ticketId",
    "ticket_merged": "ticketId",
    "attachment_not_found": "attachmentId",
    "conversation_not_found": "conversationId",
    "agent_not_found": "agentId",
}


def render(problem: Problem) -> Response:
    status = 400 if problem.status == 422 else problem.status
    body: dict[str, object] = {
        "result": "error",
        "message": problem.message,
        "code": problem.code,
        "field": problem.field or _FIELD_BY_CODE.get(problem.code),
    }
    return JSONResponse(body, status_code=status, headers=problem.headers)
