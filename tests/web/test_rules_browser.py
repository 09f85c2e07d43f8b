"""Rules in a real browser (Debian's chromium): an admin creates a trigger and a macro in
the settings screens; the trigger runs on the next ticket; an agent applies the macro on
the ticket page. axe on each page; screenshots in docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from tests.conftest import Tenant
from tests.web.browser import Problems, assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def admin_of(desk: Desk) -> str:
    email = desk.tenant.address("maja")
    with desk.services.store.write() as uow:
        accounts.create_agent(
            uow, desk.tenant.actor,
            AgentFields(name="Maja Admin", email=email, password=PASSWORD, role=Role.ADMIN),
        )  # fmt: skip
    return email


def test_admin_creates_a_trigger_and_a_macro_and_an_agent_applies_it(
    page: Any, desk: Desk, problems: Problems
) -> None:
    from playwright.sync_api import expect

    problems.expect("status of 422")  # the refused time rule's form comes back as a 422

    sign_in(page, admin_of(desk))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name="Settings", exact=True).click()  # the settings area
    page.get_by_role("link", name="Rules and macros").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Triggers")
    page.locator("#rule-name").fill("Invoices to Alva")
    page.get_by_label("Condition 1", exact=True).select_option("event")
    page.get_by_label("Test 1", exact=True).select_option("is")
    page.get_by_label("Value 1", exact=True).fill("ticket.opened")
    page.get_by_label("Condition 2", exact=True).select_option("subject")
    page.get_by_label("Test 2", exact=True).select_option("contains")
    page.get_by_label("Value 2", exact=True).fill("invoice, refund")
    page.get_by_label("Action 1", exact=True).select_option("add_labels")
    page.get_by_label("With 1", exact=True).fill("billing")
    page.get_by_label("Action 2", exact=True).select_option("assign")
    page.get_by_label("With 2", exact=True).fill(str(desk.agent.id))
    page.get_by_role("button", name="Save").click()
    row = page.locator(".rule-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Invoices to Alva")
    expect(row).to_contain_text("Event is ticket.opened · Subject contains invoice, refund")
    assert_accessible(page)
    screenshot(page, "rules-triggers")

    # A time rule without a condition on time is refused with the reason, in the form.
    page.get_by_role("link", name="Time rules").click()
    page.locator("#rule-name").fill("Never")
    page.get_by_label("Action 1", exact=True).select_option("add_tags")
    page.get_by_label("With 1", exact=True).fill("x")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main [role=alert]")).to_contain_text(
        "A time rule needs a condition on time"
    )
    expect(page.locator("#rule-name")).to_have_value("Never")  # kept as typed
    assert_accessible(page)

    page.get_by_role("link", name="Macros", exact=True).click()
    page.locator("#rule-name").fill("Refund done")
    page.get_by_label("Action 1", exact=True).select_option("add_tags")
    page.get_by_label("With 1", exact=True).fill("refunded")
    page.get_by_label("Action 2", exact=True).select_option("set_priority")
    page.get_by_label("With 2", exact=True).fill("low")
    page.get_by_label("Reply to the requester").fill(
        "Hi {{requester.name}}, your refund for #{{ticket.number}} is on its way. {{agent.name}}"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".rule-row")).to_contain_text("Refund done")
    assert_accessible(page)
    screenshot(page, "rules-macros")

    ticket = desk.ticket("Invoice 1043 charged twice", "Please refund one.")
    with desk.services.store.read() as uow:
        details = tickets.load_thread(uow, desk.tenant.actor, ticket.id).details
    assert (details.labels, details.assignee_ids) == (("billing",), (desk.agent.id,))

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, desk.agent.email)
    page.goto(f"/tickets/{ticket.id}")
    page.get_by_label("Macro", exact=True).select_option(label="Refund done")
    page.get_by_role("button", name="Apply", exact=True).click()
    wanted = f"Hi Cora Customer, your refund for #{ticket.number} is on its way. Alva Lindqvist"
    expect(page.locator("#thread")).to_contain_text(wanted)
    expect(page.get_by_label("Tags", exact=True)).to_have_value("refunded")
    assert_accessible(page)
    screenshot(page, "ticket-macro-applied")
    with desk.services.store.read() as uow:
        after = tickets.get_ticket(uow, desk.tenant.actor, ticket.id)
    assert after.priority.value == "low"
    expect(page.locator("#thread")).to_contain_text("Rule “Invoices to Alva” ran")
    assert page.locator("#thread").inner_text().count("Rule “Invoices to Alva” ran") == 1
