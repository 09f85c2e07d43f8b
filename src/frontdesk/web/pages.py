"""Pages outside any screen family: `/`, where a signed-in agent goes straight to work.

Anyone else sees what Frontdesk is, with the way to sign in and the API reference.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.web import session
from frontdesk.web.security import web_router
from frontdesk.web.templating import render

router = web_router()


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> Response:
    if session.load(request) is not None:
        return RedirectResponse("/tickets", status_code=303)
    return render(request, "landing.html")
