"""How `frontdesk serve` runs uvicorn, in one place: the benchmark's bare Starlette ceiling
(bench/bare.py) is served with the very same options, so that the two differ only in the
application. Here rather than in cli/, whose package imports the whole application: a
bare worker that took that long to start was killed by uvicorn's health check."""

from __future__ import annotations

from typing import Any

from frontdesk.settings import Settings

# Seconds uvicorn keeps an idle connection open (see uvicorn_options).
KEEP_ALIVE_SECONDS = 75


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
        # A proxy keeps idle connections to us for its next requests. If we close one
        # first (uvicorn's default is 5 s), a request it sends on it as we close gets no
        # answer, and HAProxy then drops the client's connection unanswered (docs/deploy.md,
        # "Keep-alive"). So the proxy closes first: longer than deploy/haproxy.cfg's
        # `timeout server` (65 s; tests/cli/test_deploy_files.py).
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }
