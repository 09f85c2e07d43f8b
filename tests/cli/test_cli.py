"""The CLI end to end: init, demo, admin commands, and a real `frontdesk serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from click.testing import CliRunner
from fastapi.testclient import TestClient

from frontdesk.cli import main
from tests.cli.conftest import run_json


def test_init_then_admin_commands(env: dict[str, str], tmp_path: Path, client: TestClient) -> None:
    owner = f"owner-{tmp_path.name}@example.com"
    created = run_json(env, "init", "--account-name", "Acme", "--owner-email", owner)
    account = str(created["account_id"])
    assert str(created["api_key"]).startswith("fdk_")
    inbox = run_json(
        env, "inbox", "create", "--account", account, "--name", "Support", "--email", f"s-{owner}"
    )
    agent = run_json(
        env, "agent", "create", "--account", account, "--name", "Ann", "--email", f"ann-{owner}",
        "--inbox", str(inbox["id"]), "--password", "ann's long password",
    )  # fmt: skip
    assert agent["email"] == f"ann-{owner}"
    # The password set on the command line signs in to the web app.
    form = client.get("/login")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post(
        "/login",
        data={"email": f"ann-{owner}", "password": "ann's long password", "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and "fd_session" in signed.cookies
    # The printed key really is the account's admin key, and the agent's inbox is stored.
    answered = client.get(
        "/api/v1/agents", headers={"Authorization": f"Bearer {created['api_key']}"}
    )
    assert answered.status_code == 200, answered.text
    stored = {item["email"]: item for item in answered.json()}
    assert stored.keys() == {owner, f"ann-{owner}"}
    assert (stored[owner]["id"], stored[owner]["role"]) == (created["owner_id"], "owner")
    assert stored[f"ann-{owner}"]["inbox_ids"] == [inbox["id"]]
    key = run_json(
        env, "apikey", "create", "--account", account, "--scopes", "tickets:read,tickets:write"
    )
    assert key["scopes"] == ["tickets:read", "tickets:write"]
    revoked = run_json(env, "apikey", "revoke", "--account", account, str(key["id"]))
    assert revoked["revoked"] is not None
    token = run_json(env, "token", "create", "--account", account, "--email", f"cust-{owner}")
    assert str(token["token"]).startswith("fdc_")
    second = run_json(env, "account", "create", "Other")
    assert second["id"] != created["account_id"]
    assert second["portal"] == f"/portal/{second['public_id']}"


def test_bad_cli_input_exits_nonzero_with_a_message(env: dict[str, str]) -> None:
    runner = CliRunner()
    bad_scope = runner.invoke(
        main, ["apikey", "create", "--account", "1", "--scopes", "everything"], env=env
    )
    assert bad_scope.exit_code == 2 and "everything" in bad_scope.output
    missing = runner.invoke(
        main,
        ["inbox", "create", "--account", "999999", "--name", "x", "--email", "a@b.co"],
        env=env,
    )
    assert missing.exit_code == 1 and "account_not_found" in missing.output


def test_demo_is_loaded_once_and_prints_fresh_keys(tmp_path: Path) -> None:
    env = {"FRONTDESK_DATA_DIR": str(tmp_path / "demo")}
    first = run_json(env, "demo", "--tickets", "30")
    again = run_json(env, "demo", "--tickets", "30")
    assert first["created"] is True and again["created"] is False
    assert first["ticket_count"] == again["ticket_count"] == 30
    assert first["admin_key"] != again["admin_key"]
    assert (again["agent_email"], again["agent_password"]) == (
        "alva@demo.frontdesk.test",
        "frontdesk-demo",
    )
    lines = CliRunner().invoke(main, ["demo", "--tickets", "30"], env=env).output
    assert "web app: http://127.0.0.1:8000/ (sign in as alva@demo.frontdesk.test, password" in lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_and_answers_with_demo_data(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(tmp_path / "serve"), "FRONTDESK_PORT": str(port)}
    demo = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--json", "demo", "--tickets", "20"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = json.loads(demo.stdout)
    key, account = loaded["admin_key"], loaded["account_id"]
    started = time.perf_counter()
    # Both streams: uvicorn logs its own lines to stderr but an access log to stdout.
    server = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "serve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_ready(server, base, started)
        print(f"serve ready in {time.perf_counter() - started:.2f}s")
        agents = httpx2.get(
            f"{base}/api/v1/agents", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert len(agents) == 5 and agents[0]["role"] == "owner"
        # The web app answers at the printed address, for the printed agent and password.
        with httpx2.Client(base_url=base) as browser:
            form = browser.get("/login")
            token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            fields = {"email": loaded["agent_email"], "password": loaded["agent_password"]}
            signed = browser.post("/login", data={**fields, "csrf_token": token})
            assert signed.status_code == 303 and signed.headers["location"] == "/tickets"
            queue = browser.get("/tickets?view=open")
            assert queue.status_code == 200 and "queue-row" in queue.text
        # ImBox carries the key in the path, where a request log line would show it.
        listed = httpx2.get(f"{base}/message/listTickets/{key}/{account}", params={"limit": 2})
        assert listed.status_code == 200 and listed.json()["length"] == 2
        missing = httpx2.get(f"{base}/message/grabTicket/{key}/{account}/999999999")
        assert missing.status_code == 404
    finally:
        server.terminate()
        stdout, stderr = (stream.decode() for stream in server.communicate(timeout=10))
    assert "listening on" in stdout and "Application startup complete" in stderr
    secret = key.split("_", 2)[2]  # fdk_<id>_<secret>; the secret may hold "_" itself
    assert secret not in stdout and secret not in stderr


def _wait_until_ready(server: subprocess.Popen[bytes], base: str, started: float) -> None:
    while True:
        try:
            if httpx2.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        assert server.poll() is None, "server exited"
        assert time.perf_counter() - started < 30, "server did not come up"
        time.sleep(0.05)
