"""Custom field types in a real browser (Debian's chromium): an admin adds a dropdown field
with its options on Settings > Ticket fields, and an agent sets it, with a number, on a
ticket page, where a value the type does not take is refused in place. axe on both
pages; screenshots in docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.tickets import custom_fields, taxonomy
from frontdesk.core.tickets.records import FieldType
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _furnish(desk: Desk) -> int:
    """An account with a text field and a number field already, and a ticket to fill in."""
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        taxonomy.create_named(uow, actor, "custom_field", "Order number")
        custom_fields.create_field(uow, actor, "Seats", FieldType.NUMBER)
        custom_fields.create_field(uow, actor, "Renewal", FieldType.DATE)
        custom_fields.create_field(uow, actor, "Trial", FieldType.CHECKBOX)
    return desk.ticket("Upgrade to the Pro plan", "We need five more seats.").id


def _values(desk: Desk, ticket_id: int) -> dict[str, str]:
    with desk.services.store.read() as uow:
        ticket = tickets.get_ticket(uow, desk.tenant.actor, ticket_id)
        return dict(tickets.details_of(uow, ticket).custom_fields)


def test_an_admin_adds_a_dropdown_and_an_agent_sets_it(
    page: Any, desk: Desk, problems: Any
) -> None:
    from playwright.sync_api import expect

    ticket_id = _furnish(desk)
    sign_in(page, admin_of(desk))
    page.goto("/settings/fields")
    section = page.locator("#custom-fields")
    section.get_by_label("New field's name").fill("Plan")
    section.get_by_label("Type", exact=True).select_option(label="Dropdown")
    section.get_by_label("Options (dropdown only)").fill("Basic\nPro\nEnterprise")
    page.get_by_role("button", name="Add the field").click()
    expect(section.locator(".flash--success")).to_contain_text("Added.")
    expect(page.get_by_label("Name of Plan")).to_have_value("Plan")
    expect(section.locator(".field-row__use", has_text="Dropdown")).to_have_count(1)
    section.get_by_text("Change the type or options of Plan").click()
    assert_accessible(page)
    screenshot(page, "settings-field-types")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, desk.agent.email)
    page.goto(f"/tickets/{ticket_id}")
    page.get_by_label("Plan", exact=True).select_option("Pro")
    page.get_by_label("Seats", exact=True).fill("15")
    page.get_by_label("Renewal", exact=True).fill("2027-03-01")
    page.get_by_label("Trial", exact=True).check()
    page.get_by_role("button", name="Save fields").click()
    expect(page.get_by_label("Plan", exact=True)).to_have_value("Pro")
    assert _values(desk, ticket_id) == {
        "Plan": "Pro", "Seats": "15", "Renewal": "2027-03-01", "Trial": "yes"}  # fmt: skip

    # A number input takes no letters, so the refusal comes from a number the browser
    # lets through and the core refuses: one written with an exponent.
    problems.expect("status of 422")  # the refusal's own status; nothing else
    page.get_by_label("Seats", exact=True).fill("1e3")
    page.get_by_role("button", name="Save fields").click()
    seats = page.get_by_label("Seats", exact=True)
    expect(seats).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#custom-fields")).to_contain_text("Write a number, such as 12 or 4.5.")
    assert _values(desk, ticket_id)["Seats"] == "15"
    assert_accessible(page)
    page.locator("#custom-fields").scroll_into_view_if_needed()
    screenshot(page, "ticket-field-types")

    page.set_viewport_size({"width": 320, "height": 640})  # the smallest phone: no overflow
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
