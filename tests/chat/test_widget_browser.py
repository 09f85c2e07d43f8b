"""The widget in a real browser: Debian's chromium, headless, driven by Playwright.

A test page on its own origin embeds the widget with one script tag and uses the command
queue; an agent chats over its websocket; the transcript is checked through the ImBox
chat API. Runs once, on SQLite (the socket and storage behaviour is tested on both
databases elsewhere). Without chromium the test is skipped, except in strict mode.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import ClientConnection, connect

from frontdesk.app import create_app
from frontdesk.core.identity import credentials
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from tests.chat.helpers import ChatAccount, seed, serving
from tests.live import launch
from tests.web.browser import screenshot


@pytest.fixture(scope="module")
def own_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("browser")
    built = build_services(Settings(data_dir=data, database_url=f"sqlite:///{data / 'db.sqlite'}"))
    yield built
    built.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _site(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _page(host: str, widget: str) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1>
<script>
  window._frontdesk = window._frontdesk || [];
  _frontdesk.push(["changeName", "Ada Lovelace"]);
  _frontdesk.push(["insertCard", "order", "Order 1234"]);
  _frontdesk.push(["setTag", "vip"]);
  _frontdesk.push(["setLabel", "Support"]);
</script>
<script src="http://{host}/widget.js?id={widget}" async></script>
</body></html>"""


def _next(ws: ClientConnection, wanted: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if wanted(frame):
            return frame


def test_the_widget_chats_with_an_agent_and_the_transcript_is_served(
    own_services: Services, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    account: ChatAccount = seed(own_services)
    with serving(create_app(services=own_services)) as host:
        (tmp_path / "index.html").write_text(_page(host, account.widget))
        site = _site(tmp_path)
        base = next(site)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    public_id = _chat(browser.new_page(), base, host, account)
                finally:
                    browser.close()
        finally:
            next(site, None)
    _check_transcript(own_services, account, public_id)


def _chat(page: Any, base: str, host: str, account: ChatAccount) -> str:

    page.goto(f"{base}/index.html")
    page.wait_for_function("window.__frontdeskWidget && window.__frontdeskWidget.conversation()")
    public_id: str = page.evaluate("window.__frontdeskWidget.conversation()")

    with connect(f"ws://{host}/chat/ws/agent", open_timeout=10) as agent:
        hello = {"type": "hello", "token": account.key, "agentId": account.agent.id}
        agent.send(json.dumps(hello))
        _next(agent, lambda f: f["type"] == "welcome")
        _converse(page, agent, public_id)
    return public_id


def _converse(page: Any, agent: ClientConnection, public_id: str) -> None:
    from playwright.sync_api import expect

    page.click(".fd-launch")
    page.fill(".fd-input", "Hi from the browser")
    page.click(".fd-send")
    _next(agent, lambda f: f["type"] == "chat" and f["conversationId"] == public_id)
    agent.send(json.dumps({"type": "join", "conversationId": public_id}))
    _next(agent, lambda f: f.get("message") == "Hi from the browser")
    agent.send(json.dumps({"type": "message", "conversationId": public_id, "text": "Hello Ada"}))
    expect(page.locator(".fd-agent .fd-text")).to_have_text(["Hello Ada"])
    # The widget proved itself (chat_proof_bits, 16 by default) before the message above
    # could start the chat: what a visitor sees is the chat, nothing of the proof.
    screenshot(page, "chat-widget")

    # A page change inside the page, then a reload: same conversation, each message once.
    page.evaluate("history.pushState({}, '', '/index.html?step=2')")
    page.reload()
    page.wait_for_function("window.__frontdeskWidget && window.__frontdeskWidget.conversation()")
    assert page.evaluate("window.__frontdeskWidget.conversation()") == public_id
    expect(page.locator(".fd-msg .fd-text")).to_have_text(["Hi from the browser", "Hello Ada"])

    agent.send(json.dumps({"type": "close", "conversationId": public_id}))
    page.click(".fd-launch")
    stars = page.locator(".fd-star")
    expect(stars.nth(3)).to_be_visible()
    stars.nth(3).click()
    expect(page.locator(".fd-note").last).to_have_text("Thanks for your rating")
    _next(agent, lambda f: f.get("message", "").startswith('{"type":"rating"'))
    # Rated once: the stars stay away, after the rating's own message and after a reload.
    expect(page.locator(".fd-rate")).to_be_hidden()
    page.reload()
    page.wait_for_function("window.__frontdeskWidget && window.__frontdeskWidget.conversation()")
    page.click(".fd-launch")
    expect(page.locator(".fd-note").last).to_have_text("The chat has ended")
    expect(page.locator(".fd-rate")).to_be_hidden()


def _check_transcript(services: Services, account: ChatAccount, public_id: str) -> None:
    with services.store.write() as uow:
        key = credentials.issue_api_key(uow, account.actor, "imbox", [Scope.CHAT_READ]).token
    client = TestClient(create_app(services=services))

    def grab(endpoint: str) -> list[dict[str, Any]]:
        response = client.get(f"/message/{endpoint}/{key}/{account.account_id}/{public_id}")
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()["json"]
        return body

    transcript = grab("grabConversation")
    said = [(m["agentID"], m["message"]) for m in transcript if m["agentID"] is not None]
    assert said == [(0, "Hi from the browser"), (account.agent.id, "Hello Ada")]
    events = [json.loads(m["message"])["type"] for m in transcript if m["agentID"] is None]
    assert events[0] == "visitorJoin" and "pageChange" in events and events[-1] == "rating"
    tags = [(t["type"], t["tag"]) for t in grab("grabVisitorTags")]
    assert tags == [(0, "Ada Lovelace"), (1, "vip")]
    assert [(c["dataID"], c["data"]) for c in grab("grabVisitorCards")] == [("order", "Order 1234")]
    assert [label["label"] for label in grab("grabVisitorLabels")] == ["Support"]
    (info,) = grab("grabVisitorInfo")
    assert "Chrome" in info["browser"] and info["exitPage"].endswith("/index.html?step=2")
    assert info["user_city"] == "Unknown"  # loopback: the database cannot tell
