"""The customer portal in a real browser (Debian's chromium), with its mail through a real
SMTP peer (aiosmtpd): a customer sends a request, signs in with the mailed link, reads the
agent's answer (never the internal note), answers with a file, and cannot open another
customer's ticket by changing the id. Throttling and the CSRF refusal, as a customer sees
them. axe on every page; screenshots in docs/screenshots/ (portal-*)."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import MessageKind
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.mail.conftest import RelayPeer, drain, relay, worker_for
from tests.web.browser import Problems, assert_accessible, screenshot
from tests.web.helpers import make_desk
from tests.web.portal_helpers import Portal, setup_portal

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
__all__ = ["relay"]  # the mail tests' SMTP peer, a fixture here too
LINK = re.compile(r"https?://\S+?(/portal/\S+/signin/\S+)\s")


@pytest.fixture
def portal(services: Services, tenant: Tenant) -> Portal:
    return setup_portal(make_desk(services, tenant))


def _mailed_link(portal: Portal, relay: RelayPeer, email: str) -> str:
    """Send what the outbox holds to the SMTP peer, and read the link out of the mail."""
    # Playwright's sync API keeps an event loop running in this thread: send from another.
    sender = threading.Thread(target=drain, args=(worker_for(portal.services, relay),))
    sender.start()
    sender.join(timeout=30)
    [mail] = relay.to(email, portal.desk.inbox.email)
    assert mail.message["Subject"] == "Your sign-in link to Tenant A support"
    body = mail.message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1)


def _ticket_of(services: Services, email: str) -> int:
    with services.store.engine.connect() as conn:
        return int(
            conn.execute(
                select(t.tickets.c.id)
                .join(t.contacts, t.contacts.c.id == t.tickets.c.requester_id)
                .where(t.contacts.c.email == email)
            ).scalar_one()
        )


def _fill_form(page: Any, email: str, attachment: Path) -> None:
    page.get_by_label("First name").fill("Cora")
    page.get_by_label("Last name").fill("Customer")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Phone").fill("+46 70 123 45 67"[:15])
    page.get_by_label("Topic").select_option("Billing")
    page.get_by_label("Department").select_option("Sales")
    page.get_by_label("Subject").fill("Invoice 1043 charged twice")
    page.get_by_label("Message").fill("Hello, you charged us twice for November.")
    page.get_by_label("Files").set_input_files(str(attachment))


def test_a_customer_sends_a_request_signs_in_by_mail_and_answers(
    page: Any, portal: Portal, relay: RelayPeer, tmp_path: Path, problems: Problems
) -> None:
    from playwright.sync_api import expect

    email = portal.desk.tenant.address("cora")
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4\n% a receipt\n")
    page.goto(portal.base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    expect(page.locator(".portal-brand__name")).to_have_text("Tenant A")
    expect(page.locator(".brand")).to_have_count(0)  # no agent chrome
    assert_accessible(page)
    screenshot(page, "portal-form")

    _fill_form(page, email, receipt)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your request")
    assert_accessible(page)
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    expect(page.locator(".flash--success")).to_contain_text("a sign-in link is on its way")
    assert_accessible(page)
    screenshot(page, "portal-signin-sent")

    # The team answers, and writes a note the customer must never see.
    ticket_id = _ticket_of(portal.services, email)
    with portal.services.store.write() as uow:
        actor = portal.desk.tenant.actor
        tickets.add_message(uow, actor, ticket_id, NewMessage(
            body_text="Sorry about that! We refunded the second charge.",
            agent_id=portal.desk.agent.id, from_name="Alva Lindqvist"))  # fmt: skip
        tickets.add_message(uow, actor, ticket_id, NewMessage(
            body_text="INTERNAL: check the card processor's logs",
            kind=MessageKind.INTERNAL, agent_id=portal.desk.agent.id))  # fmt: skip

    page.goto(_mailed_link(portal, relay, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your requests")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    expect(page.locator(".portal-list__row")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "portal-tickets")

    page.get_by_role("link", name="Invoice 1043 charged twice").click()
    thread = page.locator(".portal-thread")
    expect(thread).to_contain_text("you charged us twice")
    expect(thread).to_contain_text("We refunded the second charge.")
    expect(thread).to_contain_text("Alva Lindqvist")
    expect(thread.get_by_role("link", name="receipt.pdf")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("INTERNAL")
    page.get_by_label("Your answer").fill("Thank you, I see the refund.")
    page.get_by_label("Files").set_input_files(str(receipt))
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".portal-message--you").last).to_contain_text("I see the refund")
    expect(page.locator(".portal-message--you").last.get_by_role("link")).to_have_text(
        "receipt.pdf"
    )
    assert_accessible(page)
    screenshot(page, "portal-ticket")

    page.get_by_role("button", name="Close this request").click()
    expect(page.locator(".portal-state")).to_have_text("Closed")
    page.get_by_role("button", name="Reopen this request").click()
    expect(page.locator(".portal-state")).to_have_text("Open")

    # Another customer's ticket, by changing the id in the address: a 404 page.
    other = portal.ticket_for(portal.desk.tenant.address("someone-else"), "Their secret")
    problems.expect("status of 404")
    answer = page.goto(f"{portal.base}/tickets/{other.id}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("body")).not_to_contain_text("Their secret")
    assert_accessible(page)
    screenshot(page, "portal-not-found")


def test_the_portal_in_swedish_on_a_phone(page: Any, portal: Portal) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(portal.base)
    page.get_by_role("link", name="Svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakta support")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.get_by_role("link", name="Mina ärenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se dina ärenden")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)


def test_too_many_links_and_a_forged_form_are_refused(
    page: Any, portal: Portal, problems: Problems
) -> None:
    from playwright.sync_api import expect

    problems.expect("status of 429")
    problems.expect("status of 403")
    email = portal.desk.tenant.address("eager")
    for _ in range(portal.services.settings.portal_links_per_address + 1):
        page.goto(portal.base + "/signin")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_role("button", name="E-mail me a link").click()
    expect(page.locator(".flash--danger")).to_contain_text("Too many attempts. Try again in")
    assert_accessible(page)
    screenshot(page, "portal-throttled")

    page.goto(portal.base + "/signin")
    page.locator("input[name=csrf_token]").evaluate("field => { field.value = 'forged.token' }")
    page.get_by_label("E-mail address").fill(portal.desk.tenant.address("someone"))
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
