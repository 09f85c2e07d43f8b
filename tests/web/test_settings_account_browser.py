"""The account page in a real browser (Debian's chromium): an admin sets the time zone and
the business language, uploads a logo (a refused SVG first) and sees it in the customer
portal's header. axe on each page; screenshots in docs/screenshots/ (settings-account-*,
portal-logo-*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frontdesk.core.identity import accounts
from tests.conftest import Tenant
from tests.images import drawn_png
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _logo(x: int, y: int) -> tuple[int, int, int, int]:
    """A teal disc and three bars of falling height on a transparent ground (96 x 32)."""
    if (x - 16) ** 2 + (y - 16) ** 2 <= 14**2:
        return (13, 148, 136, 255)
    for number, left in enumerate((38, 58, 78)):
        if left <= x < left + 14 and 4 + number * 7 <= y < 28:
            return (30, 64, 175, 255)
    return (0, 0, 0, 0)


def test_an_admin_sets_the_business_and_a_logo_that_the_portal_shows(
    page: Any, desk: Desk, tmp_path: Path, problems: Any
) -> None:
    from playwright.sync_api import expect

    sign_in(page, admin_of(desk))
    page.goto("/settings/account")
    page.get_by_role("textbox", name="Time zone").fill("Europe/Helsinki")
    page.get_by_label("Business language").select_option("sv")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").or_(page.locator(".flash")).first).to_contain_text(
        "The account's settings are saved"
    )
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    page.get_by_label("New logo").set_input_files(str(svg))
    problems.expect("422")  # the refused SVG's answer
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#account-logo-error")).to_contain_text("PNG, JPEG or WebP")
    assert_accessible(page)
    logo = tmp_path / "logo.png"
    logo.write_bytes(drawn_png(96, 32, _logo))
    page.get_by_label("New logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("body")).to_contain_text("The new logo is saved")
    shown = page.get_by_role("img", name="The logo of Tenant A")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") == 96  # the bytes drew
    expect(page.get_by_role("textbox", name="Time zone")).to_have_value("Europe/Helsinki")
    assert_accessible(page)
    screenshot(page, "settings-account")

    with desk.services.store.read() as uow:
        slug = accounts.get_account(uow, desk.tenant.id).public_id
    page.goto(f"/portal/{slug}?lang=en")
    brand = page.get_by_role("link", name="Tenant A Support")
    header_logo = brand.get_by_role("img", name="Tenant A")
    expect(header_logo).to_be_visible()
    assert header_logo.evaluate("img => img.naturalHeight") == 32
    assert_accessible(page)
    screenshot(page, "portal-logo")
