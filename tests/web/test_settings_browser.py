"""The settings area in a real browser (Debian's chromium): its navigation for an admin,
the 403 page an agent gets, an invitation that travels through the outbox to a real SMTP
peer (aiosmtpd) and lets the new agent in. axe on each page; screenshots in
docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.mail.conftest import RelayPeer, drain, free_port, worker_for
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


@pytest.fixture
def sink() -> Iterator[RelayPeer]:
    """A real SMTP server (aiosmtpd) the outbox sends to, keeping what it accepts."""
    peer = RelayPeer(free_port())
    peer.start()
    yield peer
    peer.stop()


def test_an_admin_finds_every_section_in_the_settings_navigation(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto("/tickets")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Account")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Canned responses")).to_be_visible()
    assert_accessible(page)  # its screenshot: test_settings_account_browser.py, with a logo


def test_an_agent_gets_the_403_page_and_keeps_their_profile(
    page: Any, desk: Desk, problems: Any
) -> None:
    from playwright.sync_api import expect

    sign_in(page, desk.agent.email)
    page.goto("/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Account")).to_have_count(0)
    problems.expect("403")
    answer = page.goto("/settings/account")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    assert_accessible(page)
    screenshot(page, "settings-forbidden")


def test_an_owner_invites_an_agent_who_sets_a_password_and_signs_in(
    page: Any, desk: Desk, sink: RelayPeer
) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto("/settings/agents")
    assert_accessible(page)
    email = desk.tenant.address("nova")
    page.get_by_label("Name").fill("Nova Ek")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role").select_option("agent")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".flash--success")).to_contain_text("The invitation is on its way")
    expect(page.get_by_role("link", name="Nova Ek")).to_be_visible()
    screenshot(page, "settings-agents")

    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(drain, worker_for(desk.services, sink)).result(timeout=60)
    [mail] = sink.to(email, desk.inbox.email)
    assert mail.message["Subject"] == "Join Tenant A on Frontdesk"
    body = mail.message.get_content()
    link = re.search(r"https?://\S+(/login/welcome/\S+)", body)
    assert link is not None, body

    page.context.clear_cookies()
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome: choose your password")
    assert_accessible(page)
    screenshot(page, "invitation-welcome")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    expect(page.locator(".flash--success")).to_contain_text("Your password is set")
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/tickets"))
    expect(page.locator(".whoami__name")).to_have_text("Nova Ek")


def test_an_admin_sees_an_agent_and_an_agent_cannot_change_their_own_role(
    page: Any, desk: Desk, problems: Any
) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto(f"/settings/agents/{desk.agent.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(desk.agent.name)
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_label("Chats at once").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_label("Chats at once")).to_have_value("4")
    assert_accessible(page)
    screenshot(page, "settings-agent")
    page.context.clear_cookies()
    sign_in(page, desk.colleague.email)  # an agent
    problems.expect("403")
    answer = page.goto(f"/settings/agents/{desk.colleague.id}")
    assert answer is not None and answer.status == 403


def test_an_admin_makes_an_api_key_and_sees_its_secret_once(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto("/settings/keys")
    page.get_by_label("Name").fill("Billing system")
    page.get_by_label("Read tickets").check()
    page.get_by_label("Create and change tickets").check()
    page.get_by_role("button", name="Make the key").click()
    expect(page.locator("#new-secret")).to_contain_text("fdk_")
    expect(page.get_by_role("button", name="Revoke Billing system")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "settings-keys")
    page.goto("/settings/keys")  # the list again: the secret is not on it
    expect(page.locator("#new-secret")).to_have_count(0)
    expect(page.get_by_text("Billing system", exact=True)).to_be_visible()


def test_an_admin_reads_and_filters_the_audit_log(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto(f"/settings/agents/{desk.agent.id}")
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("agent.deactivated")
    page.get_by_label("What").select_option("inbox")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.audit")).not_to_contain_text("agent.deactivated")
    page.get_by_label("What").select_option("agent")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.audit tbody tr").first).to_contain_text("Ada Admin")
    assert_accessible(page)
    screenshot(page, "settings-audit")
