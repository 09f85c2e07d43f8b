"""The settings area over HTTP, on both databases: its navigation by role, the admins-only
check (an agent gets the 403 page), and the account page."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from frontdesk.core.identity import accounts
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

ADMIN_PAGES = ("/settings/account",)


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _nav(text: str) -> list[str]:
    menu = text.split('class="nav-list settings-nav"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="(/(?:settings|notifications)[^"]*)"', menu)


def test_an_admin_sees_every_entry_and_an_agent_only_their_own(
    web_app: FastAPI, desk: Desk
) -> None:
    admin = signed_in(web_app, admin_of(desk))
    agent = signed_in(web_app, desk.agent.email)
    everything = _nav(admin.get("/settings/profile").text)
    assert {"/settings/profile", "/settings/account", "/settings/canned"} <= set(everything)
    assert _nav(agent.get("/settings/profile").text) == [
        "/settings/profile",
        "/settings/security",
        "/notifications/settings",
        "/settings/canned",
        "/settings/sla",
    ]
    assert "/settings/rules/triggers" in everything  # admins only
    # The notification choices are one of the agent's own settings pages, marked current.
    notifications = agent.get("/notifications/settings").text
    assert _nav(notifications)[2] == "/notifications/settings"
    menu = notifications.split('class="nav-list settings-nav"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r'href="/notifications/settings"[^>]*aria-current="page"', menu)


def test_the_front_door_sends_each_role_to_its_first_page(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    agent = signed_in(web_app, desk.agent.email)
    assert admin.get("/settings", follow_redirects=False).headers["location"] == (
        "/settings/account"
    )
    assert agent.get("/settings", follow_redirects=False).headers["location"] == (
        "/settings/profile"
    )


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_agent_gets_the_403_page(web_app: FastAPI, desk: Desk, path: str) -> None:
    agent = signed_in(web_app, desk.agent.email)
    refused = agent.get(path)
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "You do not have access to this page" in refused.text


def test_an_agent_cannot_rename_the_account(web_app: FastAPI, desk: Desk) -> None:
    agent = signed_in(web_app, desk.agent.email)
    token = csrf_of(agent.get("/settings/profile").text)
    refused = agent.post("/settings/account", data={"csrf_token": token, "name": "Mine now"})
    assert refused.status_code == 403
    assert _name(desk) != "Mine now"


def test_an_admin_renames_the_account(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    page = admin.get("/settings/account")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    token = csrf_of(page.text)
    saved = admin.post("/settings/account", data={"csrf_token": token, "name": "  Acme AB "})
    assert saved.status_code == 200 and "saved" in saved.text
    assert _name(desk) == "Acme AB"
    blank = admin.post("/settings/account", data={"csrf_token": token, "name": "   "})
    assert blank.status_code == 422 and _name(desk) == "Acme AB"
    forged = admin.post("/settings/account", data={"name": "No token"})
    assert forged.status_code == 403 and _name(desk) == "Acme AB"


def _name(desk: Desk) -> str:
    with desk.services.store.read() as uow:
        return accounts.get_account(uow, desk.tenant.actor.account_id).name
