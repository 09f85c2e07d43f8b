"""`GET /widget.js`: the visitor widget, one static script that sites embed with one tag.

    <script src="https://frontdesk.example.com/widget.js?id=WIDGET_ID" async></script>

The script reads its widget id and Frontdesk's address from its own `src`, so the file
is the same for every account and caches well; the account's colours, texts and position
come in the socket's welcome.

The source lives in `static/widget/` in parts (words, proof, looks, panel, chat,
connection, host page), read in name order and joined into one function scope here, so
each part stays small and the site still loads one script.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["chat"])

HEADER = """/* Frontdesk chat widget. Embed with one tag:
 *   <script src="https://FRONTDESK/widget.js?id=WIDGET_ID" async></script>
 * Commands from the host page, queued until the widget is connected:
 *   window._frontdesk = window._frontdesk || [];
 *   _frontdesk.push(["changeName", "John Doe"]);
 *   _frontdesk.push(["insertCard", "1", "Name: John Doe"]);   // or ["insertCard", {id, data}]
 *   _frontdesk.push(["setTag", "vip"]);
 *   _frontdesk.push(["setLabel", "Support"]);
 *   _frontdesk.push(["open"]); _frontdesk.push(["close"]);
 * Protocol: docs/chat.md. Everything shown is set with textContent, never as HTML.
 */
(function () {
"use strict";
"""


@cache
def widget_source() -> bytes:
    folder = files("frontdesk.chat").joinpath("static/widget")
    parts = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".js")),
        key=lambda entry: entry.name,
    )
    body = "\n".join(part.read_text(encoding="utf-8") for part in parts)
    return (HEADER + body + "})();\n").encode()


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
