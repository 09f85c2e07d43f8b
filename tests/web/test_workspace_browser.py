"""The agents' workspace in a real browser (Debian's chromium): sign-in, the queue, the
ticket page and its actions, live updates and presence between two browsers, axe, and
the screenshots of docs/screenshots/ (sign-in, list, ticket, reply box).

Runs once, on SQLite, like the other browser tests; the HTTP tests of the same screens
run on both databases (test_workspace.py, test_signin.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from frontdesk.core.tickets import set_labels
from tests.conftest import Tenant
from tests.mail.conftest import RelayPeer, free_port
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


@pytest.fixture
def relay() -> Iterator[RelayPeer]:
    peer = RelayPeer(free_port())
    peer.start()
    yield peer
    peer.stop()


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_page_then_the_queue_and_a_ticket(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    first = desk.ticket("Invoice 1043 charged twice", "Hello, you charged us twice in March.")
    desk.ticket("Booking for Friday not confirmed", "I never got a confirmation mail.")
    with desk.services.store.write() as uow:
        set_labels(uow, desk.tenant.actor, first.id, ["refund"])
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Frontdesk")
    assert_accessible(page)
    screenshot(page, "signin")
    sign_in(page, desk.agent.email)
    expect(page).to_have_url(page.url.split("/tickets")[0] + "/tickets")
    page.goto("/tickets?view=open")
    expect(page.locator(".queue-row")).to_have_count(2)
    expect(page.locator(".view-link__count").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "ticket-list")
    page.get_by_role("link", name="Invoice 1043 charged twice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice 1043 charged twice")
    assert_accessible(page)
    screenshot(page, "ticket-page")
    page.get_by_label("Reply to the customer").fill("Sorry about that! The refund is on its way.")
    page.locator("#reply-box").scroll_into_view_if_needed()
    screenshot(page, "reply-box")
