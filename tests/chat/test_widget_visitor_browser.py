"""What a visitor sees, in Debian's chromium (one browser for the module), against a real
`frontdesk serve` process that the tests stop and start again on the same port:

- with every agent offline the widget offers the form, and the message becomes a ticket
  that the agent sees in the web app's ticket list (and the inbox's auto reply is queued);
- a message typed while the server is down is shown as pending and delivered exactly once
  after it returns;
- the account's team name, colour, corner and Swedish texts; the dialog's semantics, axe,
  Escape, typing, the unread badge and tab title; full screen and 16 px input on a phone.

Screenshots: docs/screenshots/chat-widget-offline-*.png and chat-widget-swedish-*.png.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from frontdesk.core import chat
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.mail.outbox import AUTO_REPLY
from frontdesk.services import build_services
from frontdesk.settings import Settings
from tests.chat.helpers import ChatAccount, Served, seed
from tests.live import launch, require_chromium
from tests.web.browser import assert_accessible, screenshot

PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    data: Path
    account: ChatAccount
    agent_email: str
    env: dict[str, str]
    server: Served
    pages: str  # base URL of the host pages (another origin)

    @property
    def host(self) -> str:
        return self.server.host

    def restart(self) -> None:
        self.server = Served(self.data, self.env, self.server.port)
        self.server.wait()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("widget")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'db.sqlite'}")
    services = build_services(settings)  # migrates before the server starts
    account = seed(services, "Acme")
    email = f"john-{time.time_ns()}@example.org"
    with services.store.write() as uow:
        inbox = accounts.create_inbox(
            uow, account.actor, "Support", f"support-{time.time_ns()}@example.org",
            "Thanks for writing, we will answer soon.",
        )  # fmt: skip
        accounts.update_agent(
            uow, account.actor, account.agent.id,
            AgentFields(email=email, password=PASSWORD, inbox_ids=[inbox.id]),
        )  # fmt: skip
    services.close()
    env = {
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_DATABASE_URL": settings.database_url,
        "FRONTDESK_SMTP_PORT": "0",
    }
    pages = data / "pages"
    pages.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(pages)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served = Served(data, env)
    served.wait()
    found = Site(data, account, email, env, served, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield found
    finally:
        found.server.stop()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, errors


def host_page(site: Site, name: str, lang: str = "en") -> str:
    (site.data / "pages" / f"{name}.html").write_text(
        f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Shop</h1><p>Our products.</p></main>
<script src="http://{site.host}/widget.js?id={site.account.widget}" async></script>
</body></html>"""
    )
    return f"{site.pages}/{name}.html"


@contextmanager
def agent_socket(site: Site) -> Iterator[ClientConnection]:
    with connect(f"ws://{site.host}/chat/ws/agent", open_timeout=10) as ws:
        yield _hello(site, ws)


def _hello(site: Site, ws: ClientConnection) -> ClientConnection:
    ws.send(
        json.dumps({"type": "hello", "token": site.account.key, "agentId": site.account.agent.id})
    )
    next_frame(ws, lambda f: f["type"] == "welcome")
    return ws


def next_frame(ws: ClientConnection, wanted: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if wanted(frame):
            return frame


def loaded(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.__frontdeskWidget && window.__frontdeskWidget.state.ready")


def transcript(site: Site, public_id: str) -> list[str]:
    services = build_services(
        Settings(data_dir=site.data, database_url=site.env["FRONTDESK_DATABASE_URL"])
    )
    try:
        with services.store.read() as uow:
            record = chat.get_conversation(uow, site.account.actor, public_id)
            return [m.body for m in chat.transcript(uow, record)]
    finally:
        services.close()


def test_with_every_agent_offline_the_form_becomes_a_ticket_in_the_list(
    site: Site, page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    loaded(page, host_page(site, "offline"))
    page.click(".fd-launch")
    form = page.locator(".fd-offline")
    expect(form).to_be_visible()
    expect(page.locator(".fd-form")).to_be_hidden()
    expect(form.locator(".fd-away")).to_have_text(
        "We are away right now. Leave a message and we will answer by e-mail."
    )
    page.get_by_role("button", name="Send message").click()  # nothing filled in yet
    expect(form.get_by_role("alert")).to_have_text("Please fill in your name, e-mail and message.")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Message", exact=True).fill("Do you ship to Sweden?")
    expect(form.get_by_role("alert")).to_have_text("")  # filled in: the old prompt is gone
    assert_accessible(page)
    screenshot(page, "chat-widget-offline")
    page.get_by_role("button", name="Send message").click()
    expect(form.locator(".fd-left")).to_have_text(
        "Thanks! We got your message and will answer by e-mail."
    )
    public_id = page.evaluate("window.__frontdeskWidget.conversation()")
    notes = [json.loads(b) for b in transcript(site, public_id) if "offlineMessage" in b]
    assert len(notes) == 1

    agent = browser.new_context(base_url=f"http://{site.host}").new_page()
    agent.goto("/login")
    agent.get_by_label("E-mail address").fill(site.agent_email)
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    agent.goto("/tickets?view=open")
    row = agent.locator(".queue-row", has_text="Chat message from Ada Lovelace")
    expect(row).to_have_count(1)
    agent.context.close()
    services = build_services(
        Settings(data_dir=site.data, database_url=site.env["FRONTDESK_DATABASE_URL"])
    )
    with services.store.read() as uow:
        mails = uow.mail.list_outbox(site.account.account_id, ticket_id=None, status=None, limit=9)
    services.close()
    assert [(m.kind, m.to) for m in mails] == [(AUTO_REPLY, ("ada@example.org",))]


def test_a_message_typed_while_the_server_is_down_is_pending_then_delivered_once(
    site: Site, page: Any
) -> None:
    from playwright.sync_api import expect

    with agent_socket(site):  # someone online: the message box, not the form
        loaded(page, host_page(site, "outage"))
        page.click(".fd-launch")
        page.fill(".fd-input", "Before the outage")
        page.press(".fd-input", "Enter")
        expect(page.locator(".fd-msg:not(.fd-pending) .fd-text")).to_have_text(
            ["Before the outage"]
        )
        public_id = page.evaluate("window.__frontdeskWidget.conversation()")

    site.server.stop()
    expect(page.locator(".fd-state")).to_have_text(
        "Offline. Your messages will be sent when the connection is back."
    )
    page.fill(".fd-input", "Typed while you were down")
    page.press(".fd-input", "Enter")
    pending = page.locator(".fd-msg.fd-pending")
    expect(pending.locator(".fd-text")).to_have_text(["Typed while you were down"])
    expect(pending.locator(".fd-meta")).to_have_text(["You, Sending\u2026"])

    site.restart()
    expect(page.locator(".fd-msg.fd-pending")).to_have_count(0, timeout=20_000)
    expect(page.locator(".fd-state")).to_be_hidden()
    texts = ["Before the outage", "Typed while you were down"]
    expect(page.locator(".fd-msg .fd-text")).to_have_text(texts)
    page.reload()
    page.wait_for_function("window.__frontdeskWidget && window.__frontdeskWidget.state.ready")
    page.click(".fd-launch")
    expect(page.locator(".fd-msg .fd-text")).to_have_text(texts)
    # The visitor ends the chat: the queue is empty again for the next test.
    page.get_by_role("button", name="End chat").click()
    expect(page.locator(".fd-note").last).to_have_text("The chat has ended")
    bodies = transcript(site, public_id)
    assert bodies.count("Typed while you were down") == 1
    assert bodies.count("Before the outage") == 1


def test_the_open_widget_in_swedish_with_the_accounts_looks(site: Site, page: Any) -> None:
    from playwright.sync_api import expect

    services = build_services(
        Settings(data_dir=site.data, database_url=site.env["FRONTDESK_DATABASE_URL"])
    )
    with services.store.write() as uow:
        chat.update_chat_settings(
            uow,
            site.account.actor,
            chat.SettingsChange(
                team_name="Acme kundtjänst",
                color="#7a1f5c",
                position="left",
                texts={"sv": {"greeting": "Hej! Fråga oss om leveranser."}},
            ),
        )
    services.close()
    with agent_socket(site) as agent:
        loaded(page, host_page(site, "svenska", lang="sv"))
        launcher = page.locator(".fd-launch")
        expect(launcher).to_have_attribute("aria-expanded", "false")
        expect(launcher).to_contain_text("Chatta med oss")
        assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(122, 31, 92)"
        assert launcher.bounding_box()["x"] < 100  # the left corner
        launcher.click()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        dialog = page.get_by_role("dialog", name="Acme kundtjänst")
        expect(dialog).to_be_visible()
        expect(page.locator(".fd-greeting")).to_have_text("Hej! Fråga oss om leveranser.")
        expect(page.get_by_role("textbox", name="Ditt meddelande")).to_be_focused()
        expect(page.locator(".fd-log")).to_have_attribute("aria-live", "polite")

        page.fill(".fd-input", "Skickar ni till Malmö?")
        page.press(".fd-input", "Enter")
        public_id = page.evaluate("window.__frontdeskWidget.conversation()")
        expect(page.locator(".fd-wait")).to_have_text(
            "Alla våra medarbetare är upptagna. Du är nummer 1 i kön."
        )
        agent.send(json.dumps({"type": "join", "conversationId": public_id}))
        expect(page.locator(".fd-note")).to_have_text(["John anslöt till chatten"])
        expect(page.locator(".fd-wait")).to_be_hidden()
        agent.send(json.dumps({"type": "typing", "conversationId": public_id, "typing": True}))
        expect(page.locator(".fd-typing")).to_have_text("John skriver…")
        agent.send(
            json.dumps({"type": "message", "conversationId": public_id, "text": "Ja, det gör vi!"})
        )
        expect(page.locator(".fd-agent .fd-text")).to_have_text(["Ja, det gör vi!"])
        expect(page.locator(".fd-agent .fd-meta")).to_contain_text(["John, "])
        expect(page.locator(".fd-typing")).to_be_hidden()
        page.fill(".fd-input", "Tack")  # the visitor types: the agent is told
        next_frame(agent, lambda f: f["type"] == "typing" and f["typing"] is True)
        assert_accessible(page)
        screenshot(page, "chat-widget-swedish")

        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        agent.send(
            json.dumps({"type": "message", "conversationId": public_id, "text": "Något mer?"})
        )
        expect(page.locator(".fd-badge")).to_have_text("1")
        expect(page).to_have_title("(1) Shop")
        launcher.click()
        expect(page.locator(".fd-badge")).to_be_hidden()
        expect(page).to_have_title("Shop")

    page.set_viewport_size({"width": 375, "height": 700})
    box = dialog.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 700)
    assert page.locator(".fd-input").evaluate("e => getComputedStyle(e).fontSize") == "16px"
