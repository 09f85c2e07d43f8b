"""The ImBox error envelope, for every error under /message/ (registered in app.py).

ImBox answers `{"result": "success", ...}`; an error is the same envelope with
`"result": "error"`, a human message, and a stable machine code. Bad input of any kind
(query, path or body) is a 400 here: the vendor's style has no 422.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from frontdesk.http.errors import Problem

PREFIX = "/message/"


def render(problem: Problem) -> Response:
    status = 400 if problem.status == 422 else problem.status
    body: dict[str, object] = {
        "result": "error",
        "message": problem.message,
        "code": problem.code,
    }
    if problem.field:
        body["field"] = problem.field
    return JSONResponse(body, status_code=status, headers=problem.headers)
