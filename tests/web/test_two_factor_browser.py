"""Two-factor sign-in in a real browser (Debian's chromium): the owner requires it, an
agent is sent to enrol, sets up an authenticator app (codes computed here with pyotp)
and a passkey (Chromium's virtual authenticator over the DevTools protocol), then signs in
with each, and with a recovery code, which works once. axe and the screenshots of the
security page and the second step.

WebAuthn refuses an IP address as the relying party, so these pages are opened at
`localhost` rather than 127.0.0.1 (the same server), and the app here has no public base
URL (the suite's is http://frontdesk.test), so the relying party is the request's own host.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI

from frontdesk.app import create_app
from frontdesk.core.identity.records import Agent
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.browser import DESKTOP, Problems, assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk, make_owner

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def web_app(services: Services) -> FastAPI:
    settings = services.settings.model_copy(update={"public_base_url": ""})
    return create_app(services=dataclasses.replace(services, settings=settings))


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


@pytest.fixture
def owner(desk: Desk) -> Agent:
    return make_owner(desk)


@pytest.fixture
def browse(browser: Any, live_server: str, problems: Problems) -> Iterator[Any]:
    """New pages at localhost, each in a context (cookies) of its own."""
    base = live_server.replace("127.0.0.1", "localhost")
    contexts = []

    def open_page() -> Any:
        context = browser.new_context(viewport=DESKTOP, base_url=base)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    problems.assert_none()


def code_at(secret: str, steps: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login$"))


def enrol_totp(page: Any, shots: str | None = None) -> tuple[str, list[str]]:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    if shots:
        assert_accessible(page)
        screenshot(page, shots)
    page.get_by_label("Code from the app").fill(code_at(secret, 0))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def test_owner_requires_two_factor_and_an_agent_enrols_and_signs_in_each_way(
    browse: Any, desk: Desk, owner: Agent, problems: Problems
) -> None:
    from playwright.sync_api import expect

    boss = browse()
    sign_in(boss, owner.email)
    boss.goto("/settings/security")
    enrol_totp(boss)
    boss.get_by_label("Require every agent to sign in").check()
    boss.get_by_role("button", name="Save").click()
    expect(boss.get_by_text("Everyone must now sign in with a second factor.")).to_be_visible()
    boss.get_by_label("Name of the new token").fill("Nightly export")
    boss.get_by_label("tickets:read").check()
    boss.get_by_role("button", name="Create token").click()
    expect(boss.get_by_text("Copy the token now: it is shown only once.")).to_be_visible()
    assert boss.locator("[data-token-secret]").inner_text().startswith("fdp_")
    assert_accessible(boss)
    screenshot(boss, "security")

    # The agent's password leads to the security page, and nowhere else until they enrol.
    page = browse()
    sign_in(page, desk.agent.email)
    page.wait_for_url(re.compile(r"/settings/security"))
    expect(page.get_by_text("Your team requires two-factor sign-in.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "security-enrol")
    page.goto("/tickets")
    page.wait_for_url(re.compile(r"/settings/security$"))
    secret, codes = enrol_totp(page, shots="security-totp-setup")
    assert_accessible(page)
    screenshot(page, "security-recovery-codes")

    # A passkey, made by Chromium's virtual authenticator (a platform key with a PIN).
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto("/settings/security")
    page.get_by_label("Name of the new passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("The passkey was added.")).to_be_visible()
    expect(page.get_by_text("Work laptop", exact=True)).to_be_visible()
    made = devtools.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
    assert len(made["credentials"]) == 1

    # Signing in with the passkey.
    sign_out(page)
    sign_in(page, desk.agent.email)
    page.wait_for_url(re.compile(r"/login/two-factor"))
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "signin-two-factor")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/tickets$"))

    # With the app's code.
    sign_out(page)
    sign_in(page, desk.agent.email)
    page.wait_for_url(re.compile(r"/login/two-factor"))
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        code_at(secret, 1)
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/tickets$"))

    # With a recovery code: once.
    sign_out(page)
    recover(page, desk.agent.email, codes[0])
    page.wait_for_url(re.compile(r"/tickets$"))
    sign_out(page)
    problems.expect("status of 401")  # the browser logs the refused form's status
    recover(page, desk.agent.email, codes[0])
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    assert "/login/two-factor" in page.url
    page.goto("/tickets")
    page.wait_for_url(re.compile(r"/login/two-factor$"))


def recover(page: Any, email: str, code: str) -> None:
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/login/two-factor"))
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
    page.get_by_role("button", name="Continue").click()
