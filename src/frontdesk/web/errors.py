"""Error pages: the web app's errors as HTML pages in its layout, never a JSON envelope.

The error router in http/errors.py picks a renderer by path; the web app registers
`render_problem` for the paths it owns (OWNED_PREFIXES and `/`). A renderer gets only the
Problem, yet a page must speak the visitor's language, so `ErrorPage` renders when it is
sent, from the request it answers.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from frontdesk.http.errors import ErrorRouter, Problem
from frontdesk.web.i18n import N_
from frontdesk.web.security import SECURITY_HEADERS
from frontdesk.web.templating import render

log = logging.getLogger(__name__)

# The screen families' paths (templates/<family>/), whether or not their routes exist
# yet: a mistyped ticket URL is a page to a person, not JSON.
OWNED_PREFIXES = (
    "/static/", "/login", "/logout", "/tickets", "/chats", "/settings", "/portal", "/csat/",
)  # fmt: skip
ROOT = "/"

# What a person is told, by status. The Problem's own message is for API clients and
# may be English or technical, so pages say these instead.
TITLES = {
    400: N_("That request could not be understood"),
    403: N_("You do not have access to this page"),
    404: N_("Page not found"),
    405: N_("That action is not available here"),
    409: N_("Someone changed this at the same time"),
    413: N_("That upload is too large"),
    422: N_("Some of the details are not valid"),
    429: N_("Too many requests"),
}
SERVER_ERROR = N_("Something went wrong on our side")
CLIENT_ERROR = N_("That did not work")
HINTS = {
    403: N_("An owner or admin of your account can do this, or give you access."),
    404: N_("The address may be mistyped, or the page has moved."),
    409: N_("Reload the page to see the latest version, then try again."),
    429: N_("Wait a moment, then try again."),
}
SERVER_HINT = N_("The error has been logged. Try again in a moment.")
CLIENT_HINT = N_("Go back and try again.")

FALLBACK = b"<!doctype html><title>Error</title><h1>Error</h1>"


def install(router: ErrorRouter) -> None:
    for prefix in OWNED_PREFIXES:
        router.register(prefix, render_problem)
    router.register(ROOT, render_problem, exact=True)


def render_problem(problem: Problem) -> Response:
    return ErrorPage(problem)


def messages(status: int) -> dict[str, str]:
    """The msgids of the title and hint for `status`; the template translates them."""
    return {
        "title": TITLES.get(status, SERVER_ERROR if status >= 500 else CLIENT_ERROR),
        "hint": HINTS.get(status, SERVER_HINT if status >= 500 else CLIENT_HINT),
    }


class ErrorPage(Response):
    """An HTML error page that renders itself, in the request's locale, when sent."""

    media_type = "text/html"

    def __init__(self, problem: Problem) -> None:
        super().__init__(b"", status_code=problem.status, headers=problem.headers)
        self.headers.update(SECURITY_HEADERS)
        self.problem = problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.body = self._page(Request(scope, receive))
        self.headers["Content-Length"] = str(len(self.body))
        await super().__call__(scope, receive, send)

    def _page(self, request: Request) -> bytes:
        status = self.problem.status
        context = {"status": status, **messages(status)}
        try:
            page = render(request, "error.html", context, status_code=status)
        except Exception:
            # An error page that fails must still answer: plain, and logged once.
            log.exception("the error page for %s could not be rendered", status)
            return FALLBACK
        self.headers["Content-Language"] = page.headers["Content-Language"]
        return bytes(page.body)
