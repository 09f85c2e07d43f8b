"""One check of the text every HTTP request brings, before any route sees it.

NUL characters and unpaired surrogates cannot be stored (PostgreSQL refuses NUL, and a
lone surrogate cannot be encoded as UTF-8 at all), so wherever they arrive (a JSON body,
a query parameter) they are refused here with the field named, in the
dialect's own envelope, rather than failing at INSERT as a 500. (Path segments are ids
of fixed shapes, which each route checks with its own error.) Registered as an
app-wide dependency: FastAPI solves it after parsing the body and before validating it,
so the parsed JSON is read from the request's cache, not parsed again.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request

from frontdesk.core.shared.text import check_text, check_tree


async def checked_input(connection: HTTPConnection) -> None:
    for name, value in connection.query_params.multi_items():
        check_text(name, "query")
        check_text(value, name)
    if isinstance(connection, Request) and _has_json_body(connection):
        if not await connection.body():
            return  # nothing to check; the route says what a missing body means
        try:
            parsed = await connection.json()
        except ValueError:
            return  # not parsed as JSON by FastAPI either: the route refuses it
        check_tree(parsed)


def _has_json_body(request: Request) -> bool:
    """Only where the route declares a body FastAPI has parsed (and cached) as JSON."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return False
    content_type = request.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower().endswith("json")
