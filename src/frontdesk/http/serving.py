"""How `frontdesk serve` runs uvicorn, in one place: the benchmark's bare Starlette ceiling
(bench/bare.py) is served with the very same options, so that the two differ only in the
application. Here rather than in cli/, whose package imports the whole application: a
bare worker that took that long to start was killed by uvicorn's health check."""

from __future__ import annotations

from typing import Any

from frontdesk.settings import Settings


def uvicorn_options(settings: Settings, workers: int) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": workers,
        "log_level": "info",
        "access_log": False,  # dialects carry keys in paths; access logs would print them
        # X-Forwarded-For is read by the app itself, from FRONTDESK_TRUSTED_PROXIES only.
        "proxy_headers": False,
        "server_header": False,
        # Chat frames over the limit are refused (1009) before they are buffered whole.
        "ws_max_size": settings.chat_max_frame_bytes,
        # Chat frames are small JSON: compressing each one cost the event loop more than
        # anything but the socket I/O itself (docs/benchmarks.md, issue 15).
        "ws_per_message_deflate": False,
    }
