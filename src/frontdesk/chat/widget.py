"""`GET /widget.js`: the visitor widget, one static script that sites embed with one tag.

    <script src="https://frontdesk.example.com/widget.js?id=WIDGET_ID" async></script>

The script reads its widget id and Frontdesk's address from its own `src`, so the file
is the same for every account and caches well.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["chat"])


@cache
def widget_source() -> bytes:
    return files("frontdesk.chat").joinpath("static/widget.js").read_bytes()


@router.get("/widget.js", include_in_schema=False)
def widget() -> Response:
    return Response(
        widget_source(),
        media_type="application/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )
