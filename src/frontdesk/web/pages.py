"""Pages outside any screen family: for now the landing page at `/`.

The sign-in work replaces it (an agent lands in the workspace, anyone else at sign-in).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from frontdesk.web.security import web_router
from frontdesk.web.templating import render

router = web_router()


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    return render(request, "landing.html")
