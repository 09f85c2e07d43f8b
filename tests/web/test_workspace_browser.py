"""The agents' workspace in a real browser (Debian's chromium): sign-in, the queue, the
ticket page and its actions, live updates and presence between two browsers, axe, and
the screenshots of docs/screenshots/ (sign-in, list, ticket, reply box).

Runs once, on SQLite, like the other browser tests; the HTTP tests of the same screens
run on both databases (test_workspace.py, test_signin.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from frontdesk.core.tickets import set_labels, set_priority
from frontdesk.core.tickets.records import Priority
from tests.conftest import Tenant
from tests.mail.conftest import RelayPeer, drain, free_port, worker_for
from tests.web.browser import Problems, assert_accessible, screenshot
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


def send_queued(desk: Desk, relay: RelayPeer) -> None:
    """The outbox worker's rounds, on a thread of their own: Playwright's sync API keeps an
    event loop running on this one, where asyncio.run() cannot start another."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            drain(worker_for(desk.services, relay))
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert not failures and not worker.is_alive(), failures


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_page_then_the_queue_and_a_ticket(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    first = desk.ticket(
        "Invoice 1043 charged twice",
        "Hello, you charged us twice in March.",
        cc=("finance@customer.example",),
    )
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
    # Reply to all: the colleague the customer copied is in Cc, to keep or remove.
    expect(page.locator("#reply-cc")).to_have_value("finance@customer.example")
    page.get_by_label("Reply to the customer").fill("Sorry about that! The refund is on its way.")
    page.locator("#reply-box").scroll_into_view_if_needed()
    screenshot(page, "reply-box")


def test_sign_in_refusals_throttling_and_a_reset_link_from_the_outbox(
    page: Any, desk: Desk, problems: Problems
) -> None:
    from playwright.sync_api import expect

    problems.expect("status of 401")
    problems.expect("status of 429")
    sign_in(page, desk.colleague.email, "not the password")
    expect(page.locator(".flash--danger")).to_contain_text("do not match an agent")
    for _attempt in range(4):
        sign_in(page, desk.colleague.email, "still not it")
    sign_in(page, desk.colleague.email, PASSWORD)
    expect(page.locator(".flash--danger")).to_contain_text("Too many failed sign-ins")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(desk.agent.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".flash--success")).to_contain_text("is on its way")
    with desk.services.store.engine.connect() as conn:
        from sqlalchemy import select

        from frontdesk.storage import tables as t

        body = conn.execute(
            select(t.outbox.c.body).where(t.outbox.c.to_addr == desk.agent.email)
        ).scalar_one()
    link = body.split("http://frontdesk.test", 1)[1].split()[0]
    page.goto(link)
    page.get_by_label("New password").fill("a new passphrase for alva")
    page.get_by_role("button", name="Save the password").click()
    expect(page.locator(".flash--success")).to_contain_text("Your password was changed")
    sign_in(page, desk.agent.email, "a new passphrase for alva")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine")


def test_a_days_work_search_reply_note_assign_solve_merge_split_bulk(
    page: Any, desk: Desk, relay: RelayPeer, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    target = desk.ticket("Refund for order 4711", "I returned the zeppelin model two weeks ago.")
    duplicate = desk.ticket("Where is my refund?", "Still waiting for the zeppelin refund.")
    extra = desk.ticket("Question about opening hours", "When do you open on Sunday?")
    sign_in(page, desk.agent.email)
    # Find the ticket by search, with / from the keyboard.
    page.goto("/tickets?view=open")
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.get_by_label("Search tickets")).to_be_focused()
    page.keyboard.type("zeppelin 4711")
    page.keyboard.press("Enter")
    expect(page.locator(".queue-row")).to_have_count(1)
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund for order 4711")
    # Reply with an attachment: the mail reaches the relay with the threading headers.
    page.keyboard.press("r")
    expect(page.get_by_label("Reply to the customer")).to_be_focused()
    page.keyboard.type("Your refund was sent today.")
    upload = tmp_path / "receipt.txt"
    upload.write_text("Refund 4711: 499 SEK\n")
    page.get_by_label("Attach files").set_input_files(str(upload))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message--agent")).to_contain_text("Your refund was sent today.")
    expect(page.locator(".message--agent .delivery")).to_contain_text("E-mail queued")
    send_queued(desk, relay)
    [mail] = relay.to(desk.tenant.address("customer"), desk.inbox.email)
    message = mail.message
    first_id = message["Message-ID"]
    assert message["Subject"].startswith("Re: Refund for order 4711")
    assert first_id and message["In-Reply-To"] is None  # the first mail of the thread
    assert [part.get_filename() for part in message.iter_attachments()] == ["receipt.txt"]
    page.reload()
    expect(page.locator(".message--agent .delivery")).to_contain_text("E-mail sent")
    page.get_by_label("Reply to the customer").fill("One more thing: the receipt is attached.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message--agent")).to_have_count(2)
    send_queued(desk, relay)
    second = relay.to(desk.tenant.address("customer"), desk.inbox.email)[1].message
    assert second["In-Reply-To"] == first_id and first_id in second["References"]
    # A note with a mention, assign to me, then solve.
    page.get_by_label("Internal note").fill("@Jonas please double-check the amount")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".message--note")).to_contain_text("please double-check")
    page.locator("h1").click()
    page.keyboard.press("a")
    expect(page.get_by_role("checkbox", name="Alva Lindqvist")).to_be_checked()
    page.keyboard.press("s")
    expect(page.get_by_label("Status")).to_be_focused()
    page.get_by_label("Status").select_option("solved")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator(".ticket-head .pill")).to_have_text("Solved")
    # Merge the duplicate into it, found by search from the duplicate's page.
    page.goto(f"/tickets/{duplicate.id}")
    page.get_by_label("Merge or link: find a ticket").fill("4711")
    page.get_by_role("button", name="Merge into #1").click()
    expect(page).to_have_url(page.url.split("/tickets/")[0] + f"/tickets/{target.id}")
    expect(page.locator(".message--customer")).to_have_count(2)
    # Split the duplicate's message off again.
    moved = page.locator(".message--customer").nth(1)
    moved.get_by_role("checkbox", name="Choose this message to split it off").check()
    page.get_by_text("Split messages off into a new ticket").click()
    page.get_by_label("Subject of the new ticket").fill("Refund question, split")
    page.get_by_role("button", name="Split into a new ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund question, split")
    # Bulk-assign two tickets to the colleague from the queue.
    page.goto("/tickets?view=unassigned")
    for ticket_id in (extra.id,):
        page.locator(f'[data-ticket-id="{ticket_id}"] input[type=checkbox]').check()
    page.locator(".queue-row").first.locator("input[type=checkbox]").check()
    page.get_by_label("Bulk action").select_option("assign")
    page.get_by_label("Value").fill(str(desk.colleague.id))
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unassigned")
    with desk.services.store.read() as uow:
        details = uow.tickets.ticket_details([extra.id])
    assert details[extra.id].assignee_ids == (desk.colleague.id,)


def test_a_second_browser_sees_changes_and_the_replying_marker_live(
    browser: Any, live_server: str, desk: Desk, problems: Problems
) -> None:
    from playwright.sync_api import expect

    ticket = desk.ticket("Live ticket", "Is anyone there?")
    first = browser.new_context(base_url=live_server)
    second = browser.new_context(base_url=live_server)
    try:
        alva, jonas = first.new_page(), second.new_page()
        problems.watch(alva)
        problems.watch(jonas)
        sign_in(alva, desk.agent.email)
        sign_in(jonas, desk.colleague.email)
        jonas.goto("/tickets?view=open")
        expect(jonas.locator(".queue-row")).to_have_count(1)
        alva.goto(f"/tickets/{ticket.id}")
        jonas.goto(f"/tickets/{ticket.id}")
        expect(jonas.locator("#presence")).to_contain_text("Alva Lindqvist is viewing")
        alva.get_by_label("Reply to the customer").type("Yes, looking at it")
        expect(jonas.locator("#presence")).to_contain_text("Alva Lindqvist is replying")
        expect(alva.locator("#reply-box [data-draft-status]")).to_have_text("Draft saved")
        screenshot(jonas, "ticket-presence")
        alva.get_by_label("Priority").select_option("urgent")
        alva.get_by_role("button", name="Set priority").click()
        expect(jonas.get_by_label("Priority")).to_have_value("urgent")
        expect(jonas.locator("#fd-announce")).to_have_text("This ticket was updated")
        # A new ticket shows up in a queue that is open elsewhere.
        jonas.goto("/tickets?view=open")
        expect(jonas.locator(".queue-row")).to_have_count(1)
        desk.ticket("Brand new ticket", "Arrived while Jonas watched the queue")
        expect(jonas.locator(".queue-row")).to_have_count(2)
        # The draft Alva typed survived her reload.
        alva.reload()
        expect(alva.get_by_label("Reply to the customer")).to_have_value("Yes, looking at it")
    finally:
        first.close()
        second.close()


def _count_ticket_notices(page: Any) -> Callable[[], int]:
    """How many "this ticket changed" notices the page has heard since this call."""
    page.evaluate(
        "window.fdNotices = 0;"
        "document.body.addEventListener('fd:ticket-changed', () => { window.fdNotices += 1; })"
    )
    return lambda: int(page.evaluate("window.fdNotices"))


def test_a_change_that_lands_while_a_refresh_is_on_its_way_still_reaches_the_page(
    browser: Any, live_server: str, desk: Desk
) -> None:
    """The race behind an intermittent failure: Jonas's side panel is being re-fetched (for
    an earlier change) when Alva's priority change is announced. The answer in flight was
    read before her change; the announcement must not be lost with the element it landed
    on, so the page fetches again once that answer is in."""
    from playwright.sync_api import expect

    ticket = desk.ticket("Live change", "Is anyone there?")
    context = browser.new_context(base_url=live_server)
    try:
        jonas = context.new_page()
        sign_in(jonas, desk.colleague.email)
        jonas.goto(f"/tickets/{ticket.id}")
        held: list[Any] = []

        def hold_the_first(route: Any) -> None:
            if held:
                route.continue_()
            else:  # read now, answered later: an answer from before Alva's change
                held.append((route, route.fetch()))

        jonas.route(f"**/tickets/{ticket.id}?part=side", hold_the_first)
        notices = _count_ticket_notices(jonas)
        with desk.services.store.write() as uow:
            set_labels(uow, desk.tenant.actor, ticket.id, ["refund"])
        _wait_for(lambda: len(held) == 1, jonas)
        # Wait for Alva's notice itself, not for a thread request: the thread's own refresh
        # for the labels may still be on its way, and htmx drops a second trigger then.
        heard = notices()
        with desk.services.store.write() as uow:
            set_priority(uow, desk.tenant.actor, ticket.id, Priority.URGENT)
        _wait_for(lambda: notices() > heard, jonas)
        route, stale = held[0]
        route.fulfill(response=stale)
        expect(jonas.get_by_label("Priority")).to_have_value("urgent")
        expect(jonas.locator("#side-labels")).to_have_value("refund")
    finally:
        context.close()


def test_a_change_announced_between_an_answer_and_its_swap_still_reaches_the_page(
    browser: Any, live_server: str, desk: Desk
) -> None:
    """The second half of that race: a live part's answer is in, but htmx has not put it
    in place yet (here the side panel's, held back by a swap delay), when Alva's change is
    announced. The old element hears the announcement and is then replaced, so the page
    must count a part as busy until its answer has settled, not only until it arrived.
    (Before, the announcement was lost: neither part fetched again.)"""
    from playwright.sync_api import expect

    ticket = desk.ticket("Live change", "Is anyone there?")
    context = browser.new_context(base_url=live_server)
    try:
        jonas = context.new_page()
        sign_in(jonas, desk.colleague.email)
        jonas.goto(f"/tickets/{ticket.id}")
        jonas.evaluate(
            "document.getElementById('side').setAttribute('hx-swap', 'outerHTML swap:1500ms')"
        )
        side_answered = jonas.expect_response(f"**/tickets/{ticket.id}?part=side")
        with side_answered, desk.services.store.write() as uow:
            set_labels(uow, desk.tenant.actor, ticket.id, ["refund"])
        # The answer (labels, normal priority) waits 1.5 s before its swap; meanwhile:
        thread_refetched = jonas.expect_request(f"**/tickets/{ticket.id}?part=thread")
        with thread_refetched, desk.services.store.write() as uow:
            set_priority(uow, desk.tenant.actor, ticket.id, Priority.URGENT)
        expect(jonas.get_by_label("Priority")).to_have_value("urgent")
        expect(jonas.locator("#side-labels")).to_have_value("refund")
    finally:
        context.close()


def test_a_live_refresh_keeps_a_priority_chosen_but_not_yet_set(
    browser: Any, live_server: str, desk: Desk
) -> None:
    """An agent picked a priority and has not pressed "Set priority" when a colleague's
    change arrives: the side panel is not swapped under them (their pick would be lost,
    and the button would then set the old value); it catches up once the pick is sent."""
    from playwright.sync_api import expect

    ticket = desk.ticket("Live change", "Is anyone there?")
    context = browser.new_context(base_url=live_server)
    try:
        alva = context.new_page()
        sign_in(alva, desk.agent.email)
        alva.goto(f"/tickets/{ticket.id}")
        alva.get_by_label("Priority").select_option("high")
        alva.locator("body").click(position={"x": 5, "y": 5})  # focus leaves the select
        thread_refetched = alva.expect_request(f"**/tickets/{ticket.id}?part=thread")
        with thread_refetched, desk.services.store.write() as uow:
            set_labels(uow, desk.tenant.actor, ticket.id, ["refund"])
        alva.wait_for_timeout(600)  # the side panel's refresh would have landed by now
        expect(alva.get_by_label("Priority")).to_have_value("high")
        expect(alva.locator("#side-labels")).to_have_value("")
        alva.get_by_role("button", name="Set priority").click()
        expect(alva.get_by_label("Priority")).to_have_value("high")
        expect(alva.locator("#side-labels")).to_have_value("refund")
        with desk.services.store.read() as uow:
            stored = uow.tickets.get_ticket(desk.tenant.account.id, ticket.id)
        assert stored is not None and stored.priority is Priority.HIGH
    finally:
        context.close()


def _wait_for(done: Any, page: Any, seconds: float = 30.0) -> None:
    """Poll `done` while Playwright keeps handling the page's events (routes among them)."""
    for _ in range(int(seconds * 20)):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


def test_the_workspace_in_swedish(browser: Any, live_server: str, desk: Desk) -> None:
    from playwright.sync_api import expect

    desk.ticket("Fakturafråga", "Hej, fakturan stämmer inte.")
    context = browser.new_context(locale="sv-SE", base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.get_by_role("heading", level=1)).to_have_text("Logga in på Frontdesk")
        page.get_by_label("E-postadress").fill(desk.agent.email)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.goto("/tickets?view=open")
        expect(page.get_by_role("heading", level=1)).to_have_text("Alla öppna")
        assert_accessible(page)
    finally:
        context.close()


def test_nothing_overflows_a_320_pixel_screen_in_the_workspace(page: Any, desk: Desk) -> None:
    ticket = desk.ticket("A rather long subject line that must wrap on a small phone screen")
    sign_in(page, desk.agent.email)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/tickets?view=open", f"/tickets/{ticket.id}", "/settings/profile"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
