"""A real server and a real browser, for the tests that need them (chat widget, web app).

The browser is always Debian's chromium, driven by Playwright: never one Playwright
downloads. Without it, a test is skipped, except in strict mode (docs/testing.md), where it fails.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """A real uvicorn server for `app` on an ephemeral port, in a thread; its host:port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def require_chromium() -> str:
    """The chromium binary; skips the test without one, or fails it in strict mode."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is not installed (./dev installs Debian's chromium)")
    return CHROMIUM


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless, through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
