"""The SLA settings screen on both databases: an admin adds a calendar and a policy
through the forms, an agent only sees them, bad input and a missing CSRF token change
nothing; and the screen in chromium (screenshots, axe)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from frontdesk.core.automation import service_levels as sl
from frontdesk.core.tickets.records import Priority
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

CALENDAR = {
    "name": "Office", "zone": "Europe/Stockholm", "hours-0": "09:00-17:00",
    "hours-4": "09:00-12:00, 13:00-15:00", "holidays": "2026-12-24\n2026-12-25",
}  # fmt: skip


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _stored(desk: Desk) -> tuple[list[Any], list[Any]]:
    with desk.services.store.read() as uow:
        actor = desk.tenant.actor
        return sl.list_calendars(uow, actor), sl.list_policies(uow, actor)


def test_an_admin_adds_and_deletes_them(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, admin_of(desk))
    token = csrf_of(client.get("/settings/sla").text)
    made = client.post("/settings/sla/calendars", data={**CALENDAR, "csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    (calendar,), _ = _stored(desk)
    assert [(s.weekday, s.start, s.end) for s in calendar.calendar.spans] == [
        (0, 540, 1020), (4, 540, 720), (4, 780, 900)]  # fmt: skip
    assert len(calendar.calendar.holidays) == 2
    policy = {"csrf_token": token, "name": "Standard", "calendar": str(calendar.id),
              "normal-first_response": "60", "normal-resolution": "480",
              "urgent-first_response": "15", "warn": "10"}  # fmt: skip
    assert client.post("/settings/sla/policies", data=policy).status_code == 200
    _, (made_policy,) = _stored(desk)
    assert made_policy.calendar_id == calendar.id and made_policy.warn_minutes == 10
    assert made_policy.targets_for(Priority.NORMAL).resolution == 480
    assert made_policy.targets_for(Priority.URGENT).first_response == 15
    page = client.get("/settings/sla")
    assert "Standard" in page.text and "Office" in page.text and "2026-12-24" in page.text
    in_use = client.post(f"/settings/sla/calendars/{calendar.id}/delete",
                         data={"csrf_token": token})  # fmt: skip
    assert in_use.status_code == 409
    client.post(f"/settings/sla/policies/{made_policy.id}/delete", data={"csrf_token": token})
    client.post(f"/settings/sla/calendars/{calendar.id}/delete", data={"csrf_token": token})
    assert _stored(desk) == ([], [])


def test_bad_input_csrf_and_agents_change_nothing(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/sla").text)
    mars = {**CALENDAR, "zone": "Mars/Olympus", "csrf_token": token}
    assert admin.post("/settings/sla/calendars", data=mars).status_code == 422
    closed = {"csrf_token": token, "name": "Never", "zone": "UTC"}  # no hours on any day
    assert admin.post("/settings/sla/calendars", data=closed).status_code == 422
    bad_target = admin.post("/settings/sla/policies", data={
        "csrf_token": token, "name": "P", "normal-first_response": "soon"})  # fmt: skip
    assert bad_target.status_code == 422
    no_token = admin.post("/settings/sla/calendars", data=CALENDAR)
    assert no_token.status_code == 403
    agent = signed_in(web_app, desk.agent.email)
    page = agent.get("/settings/sla")
    assert page.status_code == 200 and 'action="/settings/sla/calendars"' not in page.text
    refused = agent.post("/settings/sla/calendars",
                         data={**CALENDAR, "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert refused.status_code == 403
    assert _stored(desk) == ([], [])


def test_the_settings_screen_in_chromium(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    email = admin_of(desk)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Settings", exact=True).click()  # the settings area
    page.get_by_role("link", name="Service levels").click()
    page.locator("#calendar-name").fill("Stockholm office")
    page.locator("#calendar-holidays").fill("2026-12-24, 2026-12-25")
    page.get_by_role("button", name="Add calendar").click()
    calendars = page.locator("section[aria-labelledby=sla-calendars] .rows")
    expect(calendars).to_contain_text("Stockholm office")
    page.locator("#policy-name").fill("Standard")
    page.locator("#policy-calendar").select_option(label="Stockholm office")
    page.get_by_label("First response for Normal").fill("60")
    page.get_by_label("Resolution for Normal").fill("480")
    page.get_by_role("button", name="Add policy").click()
    expect(page.locator(".rows").first).to_contain_text("Standard")
    assert_accessible(page)
    screenshot(page, "sla-settings")
