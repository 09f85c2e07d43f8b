"""The bare ceiling (bench/bare.py): a Starlette app served by uvicorn with the options
`frontdesk serve` uses, answering what Frontdesk's /healthz answers."""

from __future__ import annotations

from pathlib import Path

import httpx2

from bench.harness import BareServer
from frontdesk.http.serving import uvicorn_options
from frontdesk.settings import Settings


def test_the_bare_app_answers_like_healthz_under_the_same_server_options(
    tmp_path: Path,
) -> None:
    bare = BareServer(tmp_path, workers=1)
    try:
        bare.wait(60)
        answer = httpx2.get(f"{bare.base}/healthz")
    finally:
        bare.stop()
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert "server" not in answer.headers  # server_header=False, as `frontdesk serve`


def test_serve_and_the_bare_app_share_one_set_of_uvicorn_options() -> None:
    options = uvicorn_options(Settings(host="127.0.0.1", port=8123), workers=3)
    assert options["workers"] == 3 and (options["host"], options["port"]) == ("127.0.0.1", 8123)
    assert options["access_log"] is False and options["proxy_headers"] is False
