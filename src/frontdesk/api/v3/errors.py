"""The v3 error envelope, for every error under /v3/ (registered in app.py).

`{"code": <HTTP status>, "message": "...", "error": "<stable machine code>"}`, plus
`"field"` when one input is to blame. Bad input of any kind (header, path or body) is a
400: the vendor's documentation knows 200 and "No content", nothing like a 422.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from frontdesk.http.errors import Problem

PREFIX = "/v3/"
# The core's name for a message's text is `message`; every v3 body calls it `content`.
_FIELDS = {"message": "content"}


def render(problem: Problem) -> Response:
    status = 400 if problem.status == 422 else problem.status
    body: dict[str, object] = {"code": status, "message": problem.message, "error": problem.code}
    if problem.field:
        body["field"] = _FIELDS.get(problem.field, problem.field)
    return JSONResponse(body, status_code=status, headers=problem.headers)
