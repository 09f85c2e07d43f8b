"""SLA in the agents' workspace, on both databases: due times and breaches in the queue,
the "SLA due soonest" order (keyset pages both ways), the ticket page's clocks, and the
same seen in chromium (screenshots, axe).

The policy counts every minute (no calendar), so due times follow from the real clock:
urgent first response in 15 minutes, normal in 60; one ticket was opened two hours ago
and has breached; a pending ticket has no due time and is not in the due order.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from frontdesk.core import tickets
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.sla import Targets
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets import NewMessage, NewTicket, queues
from frontdesk.core.tickets.records import OPEN_STATUSES, Priority, Sort, Status, TicketQuery
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk, signed_in

HOUR = 3_600_000
TARGETS = {Priority.URGENT: Targets(15, 30, 240), Priority.NORMAL: Targets(60, 120, 480)}


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def sla_desk(desk: Desk) -> dict[str, int]:
    """The policy and four tickets; their ids by role."""
    with desk.services.store.write() as uow:
        sl.create_policy(uow, desk.tenant.actor, sl.PolicyFields("Standard", TARGETS))
    late = _opened(desk, "Refund still missing", created=now_ms() - 2 * HOUR)
    urgent = desk.ticket("Checkout is down", priority=Priority.URGENT)
    normal = desk.ticket("Change my address")
    waiting = desk.ticket("Invoice copy, please")
    with desk.services.store.write() as uow:
        tickets.set_status(uow, desk.tenant.actor, waiting.id, Status.PENDING)
        sl.sweep(uow, now_ms())  # the late one breaches
    return {"late": late, "urgent": urgent.id, "normal": normal.id, "waiting": waiting.id}


def _opened(desk: Desk, subject: str, *, created: int) -> int:
    with desk.services.store.write() as uow:
        new = NewTicket(
            subject=subject, requester_email=desk.tenant.address("late"),
            requester_name="Lena Late", inbox_id=desk.inbox.id,
            message=NewMessage(body_text="Two weeks now.", created=created),
        )  # fmt: skip
        return tickets.open_ticket(uow, desk.tenant.actor, new).ticket.id


ROW = re.compile(r'class="row queue-row[^"]*" data-ticket-id="(\d+)"')


def _row_ids(html: str) -> list[int]:
    return [int(found) for found in ROW.findall(html)]


def test_the_queue_sorts_due_soonest_and_shows_breaches(web_app: FastAPI, desk: Desk) -> None:
    ids = sla_desk(desk)
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/tickets", params={"view": "open", "sort": "due"})
    assert page.status_code == 200
    assert _row_ids(page.text) == [ids["late"], ids["urgent"], ids["normal"]]
    assert page.text.count("SLA breached") == 1
    by_activity = client.get("/tickets", params={"view": "open"})
    assert set(_row_ids(by_activity.text)) == set(ids.values())  # the pending one too

    ticket = client.get(f"/tickets/{ids['urgent']}")
    assert "Service level" in ticket.text and "First response" in ticket.text
    assert "Resolution" in ticket.text and "Due" in ticket.text
    paused = client.get(f"/tickets/{ids['waiting']}")
    assert "Paused" in paused.text
    late = client.get(f"/tickets/{ids['late']}")
    assert "Breached" in late.text
    swedish = client.get("/tickets", params={"view": "open", "sort": "due"},
                         headers={"Accept-Language": "sv"})  # fmt: skip
    assert "SLA överskriden" in swedish.text


def test_due_order_pages_forwards_and_back(desk: Desk) -> None:
    ids = sla_desk(desk)
    query = TicketQuery(statuses=frozenset(OPEN_STATUSES))
    seen, after = [], None
    with desk.services.store.read() as uow:
        while True:
            got = queues.page(uow, desk.tenant.actor, query, Sort.DUE, after=after, limit=1)
            seen += [row.ticket.id for row in got.rows]
            if got.next_cursor is None:
                break
            last, after = got, got.next_cursor
        back = queues.page(uow, desk.tenant.actor, query, Sort.DUE,
                           before=last.previous_cursor, limit=1)  # fmt: skip
    assert seen == [ids["late"], ids["urgent"], ids["normal"]]
    assert [row.ticket.id for row in back.rows] == [ids["late"]]


def test_the_due_order_in_chromium(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    ids = sla_desk(desk)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(desk.agent.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/tickets?view=open&sort=due")
    expect(page.locator(".queue-row")).to_have_count(3)
    expect(page.locator(".queue-row").first).to_contain_text("SLA breached")
    assert_accessible(page)
    screenshot(page, "sla-queue")
    page.get_by_role("link", name="Checkout is down").click()
    expect(page.get_by_role("heading", name="Service level")).to_be_visible()
    expect(page.locator(".sla-clocks")).to_contain_text("First response")
    assert_accessible(page)
    screenshot(page, "sla-ticket")
    assert ids["urgent"] > 0
