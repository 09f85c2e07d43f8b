"""The reports dashboard over HTTP and in chromium, on both databases: the figures and
charts for a period, the CSV export, a form error for a bad period, another account's
inbox refused, an agent limited to their own figures, customer satisfaction from the
stored ratings, and the page seen (screenshots, axe)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.automation import csat
from frontdesk.core.automation.records import CsatSettings
from frontdesk.core.identity import accounts
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.core.tickets.records import Status
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk, signed_in
from tests.web.test_canned_web import admin_of

HOUR = 3_600_000


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def busy_week(desk: Desk) -> None:
    """Eight tickets over the last days: some answered, some solved."""
    actor = desk.tenant.actor
    for index in range(8):
        opened = now_ms() - (index * 13 + 2) * HOUR
        with desk.services.store.write() as uow:
            new = NewTicket(
                subject=f"Question {index}", requester_email=desk.tenant.address(f"c{index}"),
                inbox_id=desk.inbox.id, message=NewMessage(body_text="Hello?", created=opened),
            )  # fmt: skip
            ticket = tickets.open_ticket(uow, actor, new).ticket
            if index % 4 != 3:
                reply = NewMessage("Answer", agent_id=desk.agent.id, created=opened + HOUR)
                tickets.add_message(uow, actor, ticket.id, reply)
            if index % 2 == 0:
                tickets.set_status(uow, actor, ticket.id, Status.SOLVED)


def test_the_dashboard_and_its_csv(web_app: FastAPI, desk: Desk) -> None:
    busy_week(desk)
    client = signed_in(web_app, admin_of(desk))
    page = client.get("/reports")
    assert page.status_code == 200
    created = re.search(r"Tickets created</dt><dd>(\d+)</dd>", page.text)
    assert created and created.group(1) == "8"
    assert re.search(r"Tickets solved</dt><dd>(\d+)</dd>", page.text).group(1) == "4"  # type: ignore[union-attr]
    assert page.text.count('<svg class="chart__svg') == 4
    assert page.text.count("<rect ") >= 24 + 4  # every hour of the day, every status

    exported = client.get("/reports.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "key", "value"]
    summary = {key: value for section, key, value in rows[1:] if section == "summary"}
    assert summary["created"] == "8" and summary["solved"] == "4"
    assert summary["first_response_count"] == "6"
    assert summary["first_response_median_seconds"] == "3600"  # each answered in an hour
    assert sum(int(v) for s, _, v in rows[1:] if s == "customer_messages_by_hour") == 8


def test_a_bad_period_is_a_form_error_and_foreign_choices_are_refused(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant, services: Services
) -> None:
    client = signed_in(web_app, admin_of(desk))
    backwards = client.get("/reports", params={"start": "2026-11-20", "end": "2026-11-01"})
    assert backwards.status_code == 422
    assert "The period ends before it starts" in backwards.text
    assert 'aria-invalid="true"' in backwards.text
    nonsense = client.get("/reports", params={"start": "yesterday"})
    assert nonsense.status_code == 422 and "YYYY-MM-DD" in nonsense.text
    theirs = make_desk(services, other_tenant)
    foreign = client.get("/reports", params={"inbox": str(theirs.inbox.id)})
    assert foreign.status_code == 404 and "No inbox" in foreign.text
    assert client.get("/reports.csv", params={"inbox": str(theirs.inbox.id)}).status_code == 404
    signed_out = TestClient(web_app).get("/reports", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 307)


def test_the_dashboard_in_chromium(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    busy_week(desk)
    admin = admin_of(desk)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(page.locator(".chart__svg")).to_have_count(4)
    expect(page.locator(".stat").first).to_contain_text("8")
    assert_accessible(page)
    screenshot(page, "reports")
    page.get_by_label("Inbox", exact=True).select_option(label="Support")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"inbox=\d+"))
    expect(page.locator(".stat").first).to_contain_text("8")


def test_an_agent_sees_only_their_own_figures(web_app: FastAPI, desk: Desk) -> None:
    busy_week(desk)  # unassigned tickets
    with desk.services.store.write() as uow:
        mine = tickets.open_ticket(uow, desk.tenant.actor, NewTicket(
            subject="Mine", message=NewMessage("Hi"), assignee_ids=(desk.agent.id,),
        )).ticket  # fmt: skip
        tickets.set_status(uow, desk.tenant.actor, mine.id, Status.SOLVED)
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/reports")
    assert page.status_code == 200
    assert "You see the figures of the tickets assigned to you." in page.text
    assert re.search(r"Tickets created</dt><dd>(\d+)</dd>", page.text).group(1) == "1"  # type: ignore[union-attr]
    assert "Everyone" not in page.text  # no choice of colleagues
    exported = client.get("/reports.csv")
    summary = {k: v for s, k, v in csv.reader(io.StringIO(exported.text)) if s == "summary"}
    assert (summary["created"], summary["solved"]) == ("1", "1")
    colleague = admin_of(desk)
    with desk.services.store.read() as uow:
        ada = next(a for a in accounts.list_agents(uow, desk.tenant.actor) if a.email == colleague)
    refused = client.get("/reports", params={"agent": str(ada.id)})
    assert refused.status_code == 403
    assert "Agents see the reports of their own tickets" in refused.text
    assert client.get("/reports.csv", params={"agent": str(ada.id)}).status_code == 403
    admin = signed_in(web_app, colleague)
    whole = admin.get("/reports")
    assert re.search(r"Tickets created</dt><dd>(\d+)</dd>", whole.text).group(1) == "9"  # type: ignore[union-attr]


def test_the_dashboard_shows_customer_satisfaction(web_app: FastAPI, desk: Desk) -> None:
    with desk.services.store.write() as uow:
        surveyed = CsatSettings(desk.inbox.id, True, 0, "", 0)
        csat.set_settings(uow, desk.tenant.actor, desk.inbox.id, surveyed, now_ms())
    for rating in ("great", "great", "great", "bad"):
        with desk.services.store.write() as uow:
            new = NewTicket(subject="Q", requester_email=desk.tenant.address("ann"),
                            inbox_id=desk.inbox.id, message=NewMessage("Hi"))  # fmt: skip
            ticket = tickets.open_ticket(uow, desk.tenant.actor, new).ticket
            tickets.set_status(uow, desk.tenant.actor, ticket.id, Status.SOLVED)
        with desk.services.store.write() as uow:
            survey = uow.csat.survey_of_ticket(desk.tenant.id, ticket.id)
            assert survey is not None
            csat.rate(uow, survey.id, rating, now_ms())
    client = signed_in(web_app, admin_of(desk))
    page = client.get("/reports")
    shown = re.search(r"Customer satisfaction</dt><dd>([^<]*)<small[^>]*>([^<]*)<", page.text)
    assert shown and (shown.group(1).strip(), shown.group(2)) == ("75 %", "4 responses")
    rows = list(csv.reader(io.StringIO(client.get("/reports.csv").text)))
    assert ["summary", "csat_responses", "4"] in rows
    assert ["csat", "great", "3"] in rows and ["csat", "bad", "1"] in rows


def test_the_report_csv_writes_formula_like_cells_inert(monkeypatch: pytest.MonkeyPatch) -> None:
    # The report's rows are figures today (days, hours, statuses, counts), but its writer
    # shares the exports' guard, so a text cell such as a subject can never run as a formula.
    from frontdesk.web import reports as web_reports

    def rows(found: object) -> Any:
        yield ("subject", '=HYPERLINK("http://evil")', "-1+2")

    monkeypatch.setattr(web_reports, "_csv_rows", rows)
    written = "".join(web_reports._csv_lines(None))  # type: ignore[arg-type]
    assert list(csv.reader(io.StringIO(written)))[1] == [
        "subject", "'=HYPERLINK(\"http://evil\")", "'-1+2"]  # fmt: skip
