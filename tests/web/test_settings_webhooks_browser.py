"""Settings, Webhooks in a real browser (Debian's chromium): an admin is told on the form
that a loopback address is refused, adds a webhook and copies its secret, then reads its
delivery log and redelivers a failed delivery. axe on each page; screenshots in
docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import automation
from frontdesk.core.automation import deliveries
from frontdesk.core.shared.records import MAX_ROW_ID
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import Desk, make_desk
from tests.web.test_canned_web import admin_of
from tests.web.test_settings_webhooks import PUBLIC
from tests.web.test_workspace_browser import sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _as_the_worker_left_them(desk: Desk, webhook_id: int) -> None:
    """Three deliveries, as a receiver that answered, then failed, then is being retried."""
    for _round in range(3):
        with desk.services.store.write() as uow:
            automation.update_endpoint(uow, desk.tenant.actor, webhook_id,
                                       automation.EndpointFields(), clear_inbox=False)  # fmt: skip
    with desk.services.store.write() as uow:
        found = deliveries.list_deliveries(
            uow, desk.tenant.actor, webhook_id, before_id=MAX_ROW_ID, limit=10
        )
        outcomes = [
            {"status": "delivered", "attempts": 1, "response_code": 200},
            {"status": "failed", "attempts": 1, "response_code": 410, "last_error": "http_410"},
            {"status": "queued", "attempts": 2, "response_code": 503, "last_error": "http_503"},
        ]
        for (delivery, _log), outcome in zip(found, outcomes, strict=False):
            uow.webhooks.update_delivery(delivery.id, {**outcome,
                                         "last_attempt": delivery.created})  # fmt: skip


def test_an_admin_adds_a_webhook_and_redelivers_a_failed_delivery(
    page: Any, desk: Desk, problems: Any
) -> None:
    from playwright.sync_api import expect

    problems.expect("422")  # the refused address's answer
    sign_in(page, admin_of(desk))
    page.goto("/settings/account")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    page.get_by_label("Address (URL)").fill("http://127.0.0.1:9000/hook")
    page.get_by_label("Every event").check()
    page.get_by_role("button", name="Add the webhook").click()
    expect(page.locator("#webhook-url-error")).to_contain_text("private or local network")
    assert_accessible(page)
    screenshot(page, "settings-webhooks-refused")

    page.get_by_label("Address (URL)").fill(PUBLIC)
    page.get_by_label("Description").fill("Billing system")
    page.get_by_label("Every event").uncheck()
    page.locator("summary", has_text="ticket").click()
    page.get_by_label("ticket.status_changed").check()
    page.locator("summary", has_text="webhook").click()
    page.get_by_label("webhook.updated").check()
    page.get_by_role("button", name="Add the webhook").click()
    expect(page.locator("#new-secret")).to_contain_text("whsec_")
    expect(page.get_by_role("link", name=PUBLIC)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "settings-webhooks")

    with desk.services.store.read() as uow:
        [webhook] = automation.list_endpoints(uow, desk.tenant.actor)
    _as_the_worker_left_them(desk, webhook.id)
    page.goto("/settings/webhooks")  # the list again: no secret, the last delivery
    expect(page.locator("#new-secret")).to_have_count(0)
    page.get_by_role("link", name=PUBLIC).click()
    expect(page.locator("table.deliveries tbody tr")).to_have_count(3)
    expect(page.locator("table.deliveries")).to_contain_text("http_410")
    failed = page.locator("table.deliveries tbody tr", has_text="Failed")
    failed.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_text("Queued again")).to_be_visible()
    expect(page.locator("table.deliveries")).not_to_contain_text("Failed")
    assert_accessible(page)
    screenshot(page, "settings-webhook")
