"""Canned responses in the web app over HTTP, on both databases: the settings screen,
and what `/word` offers in the chat and ticket reply boxes, placeholders filled."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from frontdesk.core.tickets import canned
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, signed_in
from tests.web.test_chat_console import waiting_chat


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _stored(desk: Desk) -> list[tuple[str, str]]:
    with desk.services.store.read() as uow:
        return [(c.shortcut, c.body) for c in canned.listed(uow, desk.tenant.actor)]


def _offers(text: str) -> list[tuple[str, str]]:
    found = re.findall(
        r'data-text="([^"]*)">\s*<span class="canned-offer__shortcut">/([\w-]+)<', text
    )
    return [(shortcut, html.unescape(value)) for value, shortcut in found]


def admin_of(desk: Desk) -> str:
    """An admin of the desk's account, who may change canned responses; their e-mail."""
    email = desk.tenant.address("admin")
    with desk.services.store.write() as uow:
        accounts.create_agent(uow, desk.tenant.actor,
                              AgentFields(name="Ada Admin", email=email, password=PASSWORD,
                                          role=Role.ADMIN))  # fmt: skip
    return email


def test_an_agent_uses_them_and_only_admins_change_them(web_app: FastAPI, desk: Desk) -> None:
    with desk.services.store.write() as uow:
        canned.create(uow, desk.tenant.actor, canned.CannedText("hi", "Hi there."))
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/settings/canned")
    assert "Hi there." in page.text and 'action="/settings/canned"' not in page.text
    token = csrf_of(page.text)
    refused = client.post("/settings/canned", data={"csrf_token": token, "shortcut": "x",
                          "body": "y"})  # fmt: skip
    assert refused.status_code == 403 and _stored(desk) == [("hi", "Hi there.")]


def test_the_settings_screen_adds_changes_and_deletes(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, admin_of(desk))
    page = client.get("/settings/canned")
    assert page.status_code == 200 and "No canned responses yet" in page.text
    token = csrf_of(page.text)
    made = client.post("/settings/canned", data={"csrf_token": token, "shortcut": "Thanks",
                       "body": "Thanks, {visitor_name}!"}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    assert _stored(desk) == [("thanks", "Thanks, {visitor_name}!")]
    bad = client.post("/settings/canned", data={"csrf_token": token, "shortcut": "two words",
                      "body": "x"})  # fmt: skip
    assert bad.status_code == 422 and _stored(desk) == [("thanks", "Thanks, {visitor_name}!")]
    taken = client.post("/settings/canned", data={"csrf_token": token, "shortcut": "thanks",
                        "body": "again"})  # fmt: skip
    assert taken.status_code == 409
    (item,) = re.findall(r'action="/settings/canned/(\d+)"', client.get("/settings/canned").text)
    client.post(f"/settings/canned/{item}", data={"csrf_token": token, "shortcut": "ty",
                "body": "Thank you."})  # fmt: skip
    assert _stored(desk) == [("ty", "Thank you.")]
    assert client.post(f"/settings/canned/{item}/delete", data={}).status_code == 403  # CSRF
    client.post(f"/settings/canned/{item}/delete", data={"csrf_token": token})
    assert _stored(desk) == []


def test_slash_offers_in_a_chat_and_a_ticket_with_names_filled(
    web_app: FastAPI, desk: Desk, services: Services, other_tenant: Tenant
) -> None:
    with services.store.write() as uow:
        for shortcut, body in (("refund", "Hi {visitor_name}, refunded. /{agent_name}"),
                               ("hello", "Hello {visitor_name}!"),
                               ("prefund", "About your refund: <b>soon</b>.")):  # fmt: skip
            canned.create(uow, desk.tenant.actor, canned.CannedText(shortcut, body))
    public_id = waiting_chat(desk, name="Ada")
    client = signed_in(web_app, desk.agent.email)
    offers = client.get(f"/chats/{public_id}/canned", params={"q": "ref"})
    assert offers.status_code == 200
    # Shortcuts that start with the word first, then those that contain it.
    assert _offers(offers.text) == [
        ("refund", "Hi Ada, refunded. /Alva Lindqvist"),
        ("prefund", "About your refund: <b>soon</b>."),  # text, escaped in the page
    ]
    assert "&lt;b&gt;" in offers.text
    assert [s for s, _ in _offers(client.get(f"/chats/{public_id}/canned").text)] == [
        "hello", "prefund", "refund",
    ]  # fmt: skip
    assert (
        "No canned response matches."
        in client.get(f"/chats/{public_id}/canned", params={"q": "zzz"}).text
    )
    ticket = desk.ticket()
    on_ticket = client.get(f"/tickets/{ticket.id}/canned", params={"q": "hello"})
    assert _offers(on_ticket.text) == [("hello", "Hello Cora Customer!")]
    assert 'data-canned-url="/tickets/' in client.get(f"/tickets/{ticket.id}").text
    theirs = waiting_chat(make_desk(services, other_tenant))
    assert client.get(f"/chats/{theirs}/canned").status_code == 404
