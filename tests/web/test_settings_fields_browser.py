"""Settings, Ticket fields in a real browser (Debian's chromium): an admin adds a category,
renames a label on its tickets, and is told why a category in use stays. axe on the page;
screenshots in docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.tickets import taxonomy
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _furnish(desk: Desk) -> None:
    """What an account a few months in has: a few of each, labels on some tickets."""
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        for name in ("Billing", "Technical", "Returns"):
            taxonomy.create_named(uow, actor, "category", name)
        for name in ("First line", "Warehouse"):
            taxonomy.create_named(uow, actor, "department", name)
        taxonomy.create_named(uow, actor, "custom_field", "Order number")
    billing_ticket = desk.ticket("Invoice twice", category_id=_id(desk, "category", "Billing"))
    other = desk.ticket("Where is my parcel?")
    with desk.services.store.write() as uow:
        tickets.set_labels(uow, actor, billing_ticket.id, ["vip", "refund"])
        tickets.set_labels(uow, actor, other.id, ["vip"])


def _id(desk: Desk, kind: str, name: str) -> int:
    with desk.services.store.read() as uow:
        return taxonomy.find_named(uow, desk.tenant.actor, kind, name).id


def test_an_admin_sorts_out_the_ticket_fields(page: Any, desk: Desk, problems: Any) -> None:
    from playwright.sync_api import expect

    _furnish(desk)
    sign_in(page, admin_of(desk))
    page.goto("/settings")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Ticket fields").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ticket fields")

    page.get_by_label("New category").fill("Complaints")
    page.get_by_role("button", name="Add the category").click()
    categories = page.locator("#categories")
    expect(categories.locator(".flash--success")).to_contain_text("Added.")
    expect(page.get_by_label("Name of Complaints")).to_have_value("Complaints")

    labels = page.locator("#labels")
    expect(labels).to_contain_text("On 2 tickets")
    page.get_by_label("Name of vip").fill("VIP")
    page.get_by_role("button", name="Rename vip").click()
    expect(labels.locator(".flash--success")).to_contain_text("Renamed.")
    expect(page.get_by_label("Name of VIP")).to_have_value("VIP")
    assert_accessible(page)
    screenshot(page, "settings-fields")

    problems.expect("status of 409")  # the refusal's own status; nothing else
    page.get_by_role("button", name="Remove Billing").click()
    refused = page.locator("#categories .flash--danger")
    expect(refused).to_contain_text("Tickets use it, so it cannot be removed.")
    expect(page.get_by_label("Name of Billing")).to_be_visible()
    expect(page.get_by_label("New category")).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    screenshot(page, "settings-fields-refused")

    page.set_viewport_size({"width": 320, "height": 640})  # the smallest phone: no overflow
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
