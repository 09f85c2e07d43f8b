"""The webhook worker runs inside a real `frontdesk serve`: a ticket created over HTTP
reaches a receiver on loopback, signed with the secret the API showed once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.automation.receiver import receiving
from tests.live import free_port


def test_serve_delivers_webhooks(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(tmp_path / "serve"),
        "FRONTDESK_PORT": str(port),
        "FRONTDESK_SMTP_PORT": "0",
        "FRONTDESK_ALLOW_PRIVATE_WEBHOOKS": "1",
        "FRONTDESK_WEBHOOK_POLL_SECONDS": "0.1",
    }
    init = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--json", "init"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = json.loads(init.stdout)["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "serve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        with receiving() as receiver:
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, "server exited"
                try:
                    if httpx2.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
            hook = httpx2.post(
                f"{base}/api/v1/webhooks",
                json={"url": receiver.url, "event_types": ["ticket.opened"]},
                headers=headers,
            ).json()
            made = httpx2.post(
                f"{base}/api/v1/tickets",
                json={
                    "subject": "Hello",
                    "message": {"body": "hi"},
                    "requester_email": "ann@example.org",
                },
                headers=headers,
            )
            assert made.status_code == 201
            while not receiver.received:
                assert time.monotonic() < deadline, "no webhook arrived"
                time.sleep(0.05)
            (got,) = receiver.received
            assert got.signed_by(hook["secret"])
            assert got.json["object"]["id"] == made.json()["id"]
    finally:
        server.terminate()
        stdout, stderr = (stream.decode() for stream in server.communicate(timeout=30))
    assert server.returncode == 0, stdout + stderr
