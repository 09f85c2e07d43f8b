"""Settings, Inboxes in a real browser (Debian's chromium) against Debian's dovecot: an
admin adds an inbox and its IMAP mailbox, and "test connection" reports the server's
success, then a wrong password clearly. axe on each page; screenshots in docs/screenshots/.

The app here may reach 127.0.0.1 (FRONTDESK_ALLOW_PRIVATE_FETCH), where dovecot listens.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from frontdesk.services import Services
from tests.conftest import Tenant
from tests.mail import test_imap
from tests.mail.conftest import mail_services
from tests.web.browser import assert_accessible, screenshot
from tests.web.conftest import app_with_gallery
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
dovecot = test_imap.dovecot  # the module's dovecot on a free loopback port


@pytest.fixture(scope="module")
def web_app(services: Services) -> FastAPI:
    return app_with_gallery(mail_services(services, allow_private_fetch=True))


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def test_an_admin_adds_an_inbox_whose_mailbox_test_reports_the_server(
    page: Any, desk: Desk, dovecot: test_imap.Dovecot
) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto("/settings/inboxes")
    assert_accessible(page)
    screenshot(page, "settings-inboxes")
    page.get_by_label("Name").fill("Sales")
    page.get_by_label("Address").fill(desk.tenant.address("sales"))
    page.get_by_role("button", name="Add the inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales")

    page.get_by_label("Server").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(dovecot.port))
    page.get_by_label("Use TLS").uncheck()
    page.get_by_label("User name").fill(dovecot.user)
    page.get_by_label("Password").fill(test_imap.PASSWORD)
    page.get_by_role("button", name="Save the mailbox").click()
    expect(page.locator(".flash--success")).to_contain_text("The mailbox is saved")
    page.get_by_role("button", name="Test connection").click()
    success = page.locator(".flash--success")
    expect(success).to_contain_text("Connected and signed in. The server said:")
    expect(success).to_contain_text("INBOX:")
    assert_accessible(page)
    screenshot(page, "settings-inbox")

    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Save the mailbox").click()
    page.get_by_role("button", name="Test connection").click()
    refused = page.locator(".flash--danger")
    expect(refused).to_contain_text("The server refused the user name or password")
    expect(refused).to_contain_text("Authentication failed")
    screenshot(page, "settings-inbox-wrong-password")
