"""`frontdesk serve`'s websocket settings, seen from a real client's handshake."""

from __future__ import annotations

import asyncio
from pathlib import Path

import websockets

from tests.chat.helpers import Served

DEFLATE = "permessage-deflate"


async def _extensions(host: str) -> str | None:
    """The extensions the server accepted, for a client that offers per-message deflate."""
    async with websockets.connect(
        f"ws://{host}/chat/ws/visitor", compression="deflate", open_timeout=10
    ) as ws:
        assert ws.response is not None
        return ws.response.headers.get("Sec-WebSocket-Extensions")


def test_serve_turns_per_message_deflate_off(live: str, tmp_path: Path) -> None:
    # uvicorn's default accepts the client's offer: the test's own server shows it does.
    assert DEFLATE in (asyncio.run(_extensions(live)) or "")
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "FRONTDESK_SMTP_PORT": "0",
    }
    server = Served(tmp_path, env)
    try:
        server.wait()
        assert asyncio.run(_extensions(server.host)) is None
    finally:
        server.stop()
