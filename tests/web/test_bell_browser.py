"""The bell in a real browser (Debian's chromium): its unread count, live; the list and
mark-read; the settings page. axe on each page; screenshots in docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.identity import sessions
from frontdesk.core.notify import inbox
from frontdesk.core.notify.records import Kind
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def test_the_bell_counts_live_lists_and_marks_read(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    first = desk.ticket("Invoice 1043 charged twice", "Hello, you charged us twice.")
    sign_in(page, desk.agent.email)
    page.goto("/tickets?view=open")
    bell = page.locator("#bell")
    expect(bell.locator(".bell__count")).to_have_text("1 unread")  # the new ticket
    # Jonas assigns the ticket to Alva while her page is open: the bell hears it live.
    with desk.services.store.write() as uow:
        tickets.assign(uow, sessions.agent_actor(desk.colleague), first.id, [desk.agent.id])
    expect(bell.locator(".bell__count")).to_have_text("2 unread", timeout=10_000)
    assert_accessible(page)
    screenshot(page, "notification-bell")

    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    rows = page.locator(".rows .row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Assigned to you")
    expect(rows.first).to_contain_text("Jonas Berg")
    expect(page.locator(".row--unread")).to_have_count(2)
    assert_accessible(page)
    screenshot(page, "notifications")
    page.get_by_role("button", name="Mark read: #").first.click()
    expect(page.locator(".row--unread")).to_have_count(1)
    expect(page.locator("#bell .bell__count")).to_have_text("1 unread")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".row--unread")).to_have_count(0)
    expect(page.locator("#bell .bell__count")).to_have_count(0)
    with desk.services.store.read() as uow:
        assert inbox.unread(uow, desk.tenant.actor, desk.agent.id) == 0


def test_the_settings_page_saves_each_choice(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    sign_in(page, desk.agent.email)
    page.goto("/notifications/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    assert_accessible(page)
    screenshot(page, "notification-settings")
    page.get_by_label("E-mail: Assigned to you").uncheck()
    page.get_by_label("Bell: New ticket").uncheck()
    page.get_by_label("E-mail me").select_option("daily")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_label("E-mail: Assigned to you")).not_to_be_checked()
    with desk.services.store.read() as uow:
        chosen = inbox.preferences_of(uow, desk.tenant.actor, desk.agent.id)
    assert Kind.ASSIGNED not in chosen.email and Kind.MENTION in chosen.email
    assert Kind.NEW_TICKET not in chosen.web and chosen.delivery.value == "daily"
