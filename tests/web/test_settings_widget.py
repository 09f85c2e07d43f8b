"""Settings, Chat widget over HTTP, on both databases: what an admin saves is what the
widget's welcome carries next; bad values are form errors that change nothing; page
filters; the embed snippet; agents, CSRF and other accounts kept out."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.core import chat
from frontdesk.core.chat import routing
from frontdesk.core.identity import accounts
from frontdesk.services import Services
from frontdesk.web.settings.widget import contrast_on
from tests.chat.helpers import CHROME_UA
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _form(token: str, **changed: str) -> dict[str, str]:
    return {"csrf_token": token, "team_name": "", "color": "", "position": "right",
            "offline_inbox": "", "offer_seconds": "30", "greeting_en": "", "greeting_sv": "",
            "offline_en": "", "offline_sv": "", **changed}  # fmt: skip


def _welcome(app: FastAPI, widget: str) -> dict[str, Any]:
    """The widget's settings as a visitor's socket gets them in its welcome."""
    with TestClient(app).websocket_connect(
        "/chat/ws/visitor", headers={"User-Agent": CHROME_UA}
    ) as ws:
        ws.send_json({"type": "hello", "widget": widget})
        while (frame := ws.receive_json())["type"] != "welcome":
            pass
    settings: dict[str, Any] = frame["widget"]
    return settings


def test_saved_settings_reach_the_widget(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/widget").text)
    saved = admin.post("/settings/widget", data=_form(
        token, team_name="Acme help", color="#AA3300", position="left",
        offline_inbox=str(desk.inbox.id), offer_seconds="45",
        greeting_en="Hi! How can we help?", greeting_sv="Hej! Vad kan vi hjälpa till med?",
        offline_en="Leave us a note.",
    ), follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/widget?saved=1"
    with desk.services.store.read() as uow:
        stored = chat.chat_settings(uow, desk.tenant.id)
        assert routing.offer_seconds(uow, desk.tenant.actor) == 45
    assert (stored.team_name, stored.color, stored.position) == ("Acme help", "#aa3300", "left")
    assert stored.offline_inbox_id == desk.inbox.id
    assert stored.texts_for("en").offline == "Leave us a note."
    assert stored.texts_for("sv").offline is None

    widget = _welcome(web_app, _public_id(desk))
    assert widget["teamName"] == "Acme help" and widget["color"] == "#aa3300"
    assert widget["position"] == "left"
    assert widget["texts"]["en"]["greeting"] == "Hi! How can we help?"
    assert widget["texts"]["sv"]["greeting"] == "Hej! Vad kan vi hjälpa till med?"

    page = admin.get("/settings/widget?saved=1").text
    assert "settings are saved." in page and 'value="Acme help"' in page
    assert ">Acme help</text>" in page and ">Hi! How can we help?</text>" in page  # the sketch
    swedish = admin.get("/settings/widget", headers={"Accept-Language": "sv"}).text
    assert ">Hej! Vad kan vi hjälpa till med?</text>" in swedish


def test_bad_values_are_form_errors_and_nothing_is_saved(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/widget").text)
    admin.post("/settings/widget", data=_form(token, team_name="Before", color="#112233"))
    for bad, words in (
        ({"color": "red"}, "six hexadecimal digits"),
        ({"color": "#12345g"}, "six hexadecimal digits"),
        ({"position": "top"}, "Choose a corner"),
        ({"offline_inbox": "999999"}, "Choose an inbox"),
        ({"offline_inbox": "x"}, "Choose an inbox"),
        ({"offer_seconds": "4"}, "from 5 to 600"),
        ({"offer_seconds": "ten"}, "from 5 to 600"),
        ({"team_name": "x" * 101}, "too long"),
    ):
        # The team name changes too: a refused post must not save that either.
        refused = admin.post("/settings/widget", data=_form(token, **{"team_name": "After", **bad}))
        assert refused.status_code == 422, bad
        assert words in refused.text, bad
        assert f'value="{bad.get("team_name", "After")}"' in refused.text  # what was typed
    with desk.services.store.read() as uow:
        kept = chat.chat_settings(uow, desk.tenant.id)
        assert routing.offer_seconds(uow, desk.tenant.actor) == 30
    assert (kept.team_name, kept.color) == ("Before", "#112233")


def test_an_unreadable_colour_is_warned_about() -> None:
    assert contrast_on("#0a58ca").readable  # the widget's blue, white on it
    assert contrast_on("#ffeb3b").text == "#1f2328" and contrast_on("#ffeb3b").readable
    grey = contrast_on("#808080")
    assert not grey.readable and grey.ratio < 4.5


def test_the_page_warns_and_shows_the_snippet(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/widget").text)
    admin.post("/settings/widget", data=_form(token, color="#808080"))
    page = admin.get("/settings/widget").text
    assert "hard to read" in page
    assert f"/widget.js?id={_public_id(desk)}" in page and "&lt;script src=" in page


def test_page_filters_are_added_and_deleted(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/widget").text)
    added = admin.post("/settings/widget/filters", data={"csrf_token": token,
                       "name": "Pricing", "pattern": "/pricing", "match_type": "like"})  # fmt: skip
    assert added.status_code == 200 and "The page filter is added." in added.text
    with desk.services.store.read() as uow:
        [made] = chat.list_page_filters(uow, desk.tenant.actor)
    assert (made.search_name, made.search_filter, made.match_type.value) == (
        "Pricing", "/pricing", "like")  # fmt: skip
    bad = admin.post("/settings/widget/filters", data={"csrf_token": token,
                     "name": "Odd", "pattern": "/x", "match_type": "regex"})  # fmt: skip
    assert bad.status_code == 422 and "A page filter needs" in bad.text
    deleted = admin.post(f"/settings/widget/filters/{made.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 200
    with desk.services.store.read() as uow:
        assert chat.list_page_filters(uow, desk.tenant.actor) == []


def test_agents_forged_posts_and_other_accounts_are_kept_out(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    agent = signed_in(web_app, desk.agent.email)
    agent_token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get("/settings/widget").status_code == 403
    assert "/settings/widget" not in agent.get("/settings/profile").text
    posted = agent.post("/settings/widget", data=_form(agent_token, team_name="Mine"))
    assert posted.status_code == 403
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/widget").text)
    unsigned = admin.post("/settings/widget", data={**_form(token, team_name="Forged"),
                          "csrf_token": "nope"})  # fmt: skip
    assert unsigned.status_code == 403
    with desk.services.store.write() as uow:
        theirs = chat.create_page_filter(uow, other_tenant.actor, "Theirs", "/t", "like")
        their_inbox = accounts.create_inbox(
            uow, other_tenant.actor, "Theirs", other_tenant.address("theirs")
        )
    gone = admin.post(f"/settings/widget/filters/{theirs.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 404
    foreign = admin.post("/settings/widget", data=_form(token, offline_inbox=str(their_inbox.id)))
    assert foreign.status_code == 422
    with desk.services.store.read() as uow:
        assert chat.chat_settings(uow, desk.tenant.id).team_name is None
        assert [f.id for f in chat.list_page_filters(uow, other_tenant.actor)] == [theirs.id]


def _public_id(desk: Desk) -> str:
    with desk.services.store.read() as uow:
        return accounts.get_account(uow, desk.tenant.id).public_id
