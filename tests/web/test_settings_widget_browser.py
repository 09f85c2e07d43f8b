"""Settings, Chat widget and Mail problems in a real browser (Debian's chromium): an admin
sets the widget's colour and greeting, is warned about an unreadable colour, copies the
embed line with the Copy button; the quarantine lists mail the pipeline refused. axe on
each page; screenshots in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frontdesk.core import chat
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_settings_mail_problems import _quarantine
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def test_an_admin_sets_up_the_widget_and_copies_its_line(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, admin_of(desk))
    page.goto("/settings/account")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Chat widget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chat widget")

    page.get_by_label("Colour", exact=True).fill("#808080")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash--warning")).to_contain_text("hard to read")

    page.get_by_label("Title", exact=True).fill("Acme help")
    page.get_by_label("Colour", exact=True).fill("#1a7f37")
    page.get_by_label("Corner", exact=True).select_option("left")
    page.locator("#widget-greeting-en").fill("Hi! Ask us anything.")
    page.get_by_label("Inbox for offline messages").select_option(str(desk.inbox.id))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash--success")).to_contain_text("settings are saved")
    expect(page.locator(".flash--warning")).to_have_count(0)
    with desk.services.store.read() as uow:
        saved = chat.chat_settings(uow, desk.tenant.id)
    assert (saved.color, saved.position, saved.offline_inbox_id) == ("#1a7f37", "left",
                                                                     desk.inbox.id)  # fmt: skip

    page.get_by_label("Name").fill("Pricing")
    page.get_by_label("Address pattern").fill("/pricing")
    page.get_by_role("button", name="Add the page filter").click()
    expect(page.locator("#filters .row")).to_contain_text("Pricing")

    copy = page.locator("button[data-copy]")  # by its name it would vanish while "Copied"
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#widget-snippet").inner_text().strip()
    assert copied.startswith("<script src=") and "/widget.js?id=" in copied
    expect(copy).to_have_text("Copy", timeout=5000)
    page.evaluate("window.scrollTo(0, 0)")
    assert_accessible(page)
    screenshot(page, "settings-widget")


def test_an_admin_reads_the_mail_problems(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    _quarantine(desk, "Invoice 2291 overdue", "Where is my parcel", "Unsubscribe")
    sign_in(page, admin_of(desk))
    page.goto("/settings/account")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mail problems").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail problems")
    expect(page.locator(".mail-problems .row")).to_have_count(3)
    with page.expect_download() as started:
        page.get_by_role("link", name="Download .eml: Where is my parcel").click()
    download = started.value
    assert download.suggested_filename.endswith(".eml")
    assert b"Subject: Where is my parcel" in Path(download.path()).read_bytes()
    assert_accessible(page)
    screenshot(page, "settings-mail-problems")
    page.get_by_role("button", name="Discard: Unsubscribe").click()
    expect(page.locator(".flash--success")).to_contain_text("The mail is discarded")
    expect(page.locator(".mail-problems .row")).to_have_count(2)
    assert_accessible(page)
