"""A test-only router: every component on one page, and the htmx round trips.

Mounted by the tests' own app (conftest.py), never by create_app: it shows what the
macros look like in both themes, for axe and the screenshots, and gives the browser tests
a fragment to swap and a POST that checks the CSRF header app.js sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from frontdesk.web import csrf
from frontdesk.web.security import web_router
from frontdesk.web.templating import render

TEMPLATES = Path(__file__).parent / "templates"
SESSION = "gallery-session"  # stands in for the session the sign-in work will create
THEMES = ("light", "dark")
# A fixed moment for absolute dates, so screenshots change only when the design does.
MOMENT = datetime(2025, 3, 14, 14, 9, tzinfo=UTC)

router = web_router(prefix="/_gallery")


def _secret(request: Request) -> str:
    secret: str = request.app.state.services.settings.secret_key
    return secret


@router.get("", response_class=HTMLResponse)
def gallery(request: Request, theme: str = "") -> HTMLResponse:
    request.state.csrf_token = csrf.issue(_secret(request), SESSION)
    if theme in THEMES:
        request.state.theme = theme
    now = datetime.now(UTC)
    context = {
        "moment": MOMENT,
        "minutes_ago": now - timedelta(minutes=3),
        "hours_ago": now - timedelta(hours=5),
        "days_ago": now - timedelta(days=2),
        "theme_query": f"?theme={theme}" if theme in THEMES else "",
    }
    return render(request, "gallery.html", context, fragment="rows")


@router.post("/echo", response_class=HTMLResponse)
def echo(request: Request) -> HTMLResponse:
    """Whether the request carried a CSRF token issued for the gallery's session."""
    verified = csrf.verify(_secret(request), SESSION, csrf.submitted(request.headers))
    return render(request, "gallery.html", {"verified": verified}, fragment="echo")
