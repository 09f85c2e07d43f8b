"""The customer's satisfaction survey in a real browser (Debian's chromium): the rating
link from the survey mail rates, the page offers the other ratings and a comment, and the
comment is saved. axe on each state; screenshots in docs/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.automation import csat
from frontdesk.core.automation.records import CsatSettings
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets.records import Status
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PATH = re.compile(r"https?://[^/\s]+(/csat/\d+/[0-9a-f]{32})/great")


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _survey_path(desk: Desk) -> tuple[str, int]:
    """Solve a ticket of a surveyed inbox; the survey page's path from the queued mail."""
    ticket = desk.ticket("Invoice 1043 charged twice", "Hello, you charged us twice.")
    with desk.services.store.write() as uow:
        wanted = CsatSettings(desk.inbox.id, True, 0, "Your request is solved. How did we do?", 0)
        csat.set_settings(uow, desk.tenant.actor, desk.inbox.id, wanted, now_ms())
        tickets.set_status(uow, desk.tenant.actor, ticket.id, Status.SOLVED)
    with desk.services.store.read() as uow:
        body = uow.conn.execute(
            select(t.outbox.c.body).where(
                t.outbox.c.ticket_id == ticket.id, t.outbox.c.kind == csat.SURVEY_MAIL
            )
        ).scalar_one()
    found = PATH.search(body)
    assert found is not None, body
    return found.group(1), ticket.id


def test_a_customer_rates_in_one_click_changes_it_and_comments(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    base, ticket_id = _survey_path(desk)
    page.goto(f"{base}/great")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    expect(page.locator(".flash--success")).to_contain_text("Thank you for your rating.")
    expect(page.get_by_text("Your rating: Great")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "csat-rated")

    page.get_by_role("link", name="Okay").click()
    expect(page.get_by_text("Your rating: Okay")).to_be_visible()
    page.get_by_label("Anything you would like to add? (optional)").fill("Fast and friendly.")
    page.get_by_role("button", name="Send the comment").click()
    expect(page.locator(".flash--success")).to_contain_text("Thank you for your comment.")
    expect(page.get_by_label("Anything you would like to add? (optional)")).to_have_value(
        "Fast and friendly."
    )
    assert_accessible(page)
    screenshot(page, "csat-commented")
    with desk.services.store.read() as uow:
        survey = uow.conn.execute(
            select(t.csat_surveys).where(t.csat_surveys.c.ticket_id == ticket_id)
        ).one()
    assert (survey.rating, survey.comment) == ("okay", "Fast and friendly.")

    # The agent sees it on the ticket, in its details.
    sign_in(page, desk.agent.email)
    page.goto(f"/tickets/{ticket_id}")
    expect(page.locator(".satisfaction")).to_have_text("Okay: “Fast and friendly.”")
