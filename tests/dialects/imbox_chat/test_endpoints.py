"""ImBox chat endpoints: shapes from the spec, sender rules, errors in the ticket envelope."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.shared.records import Scope
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.dialects.imbox_chat.conftest import MINUTE, T0, ImBoxChat

MESSAGE_KEYS = {"id", "sid", "conversationID", "from", "message", "date", "agentID"}


def _error(response: object, status: int, code: str) -> None:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == status, body  # type: ignore[attr-defined]
    assert body["result"] == "error" and body["code"] == code and body["message"]


def test_grab_conversation_follows_the_sender_rules(imchat: ImBoxChat) -> None:
    public_id = imchat.visitor(T0, page="https://example.org/support")
    imchat.write(public_id, T0 + 1000, "visitor", "Hi, where can i find the documentation page?")
    imchat.write(public_id, T0 + 2000, "agent", "how can i help you today? :)")
    response = imchat.get("grabConversation", public_id)
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "success" and body["length"] == len(body["json"]) == 4
    assert all(set(item) == MESSAGE_KEYS for item in body["json"])
    join, asked, joined, answered = body["json"]
    assert join["agentID"] is None and join["from"] == "system"
    assert json.loads(join["message"]) == {
        "type": "visitorJoin",
        "currentPage": "https://example.org/support",
    }
    assert (asked["agentID"], asked["from"]) == (0, public_id)
    assert joined["agentID"] is None and json.loads(joined["message"])["type"] == "agentJoin"
    assert (answered["agentID"], answered["from"]) == (imchat.agent.id, "John Doe")
    assert answered["sid"] == imchat.tenant.id and answered["conversationID"] == public_id
    assert asked["date"] == "2026-01-01T00:00:01.000Z"
    assert [item["id"] for item in body["json"]] == sorted(item["id"] for item in body["json"])


def test_visitor_info_tags_labels_and_cards_have_the_spec_shapes(imchat: ImBoxChat) -> None:
    info = VisitorInfo(
        traffic_type="Organic",
        search_engine="Google",
        browser="Chrome 50.0.0",
        os="Windows 7.0.0",
        city="Stockholm",
        country="Sweden",
    )
    public_id = imchat.visitor(T0, "https://imbox.se/", info)
    imchat.clock.now = T0 + 5000
    from frontdesk.core import chat

    actor = imchat.tenant.actor
    with imchat.services.store.write() as uow:
        chat.change_name(uow, actor, public_id, "John Doe")
        chat.add_tag(uow, actor, public_id, "Custom tag")
        chat.add_label(uow, actor, public_id, "Support")
        chat.insert_card(uow, actor, public_id, "1", "Name: John Doe")

    assert imchat.get("grabVisitorInfo", public_id).json() == {
        "result": "success",
        "json": [
            {
                "trafficType": "Organic",
                "se_type": "Google",
                "sid": imchat.tenant.id,
                "conversationID": public_id,
                "last_visit": "2026-01-01T00:00:00.000Z",
                "browser": "Chrome 50.0.0",
                "os": "Windows 7.0.0",
                "user_city": "Stockholm",
                "user_country": "Sweden",
                "exitPage": "https://imbox.se/",
            }
        ],
    }
    # a visitor whose page is not known shows an empty exit page, not null
    gone = update(t.chat_conversations).where(t.chat_conversations.c.public_id == public_id)
    with imchat.services.store.engine.begin() as conn:
        conn.execute(gone.values(exit_page=None))
    assert imchat.get("grabVisitorInfo", public_id).json()["json"][0]["exitPage"] == ""
    tags = imchat.get("grabVisitorTags", public_id).json()
    assert tags["length"] == 2
    assert [(t["type"], t["tag"]) for t in tags["json"]] == [(0, "John Doe"), (1, "Custom tag")]
    assert set(tags["json"][0]) == {"sid", "conversationID", "createdDate", "tag", "type"}
    for tag in tags["json"]:
        assert tag["createdDate"].startswith("2026-01-01T00:00:") and tag["createdDate"][-1] == "Z"
    assert imchat.get("grabVisitorLabels", public_id).json() == {
        "result": "success",
        "json": [
            {
                "conversationID": public_id,
                "createdDate": "2026-01-01T00:00:05.000Z",
                "label": "Support",
            }
        ],
    }
    assert imchat.get("grabVisitorCards", public_id).json()["json"] == [
        {
            "dataID": "1",
            "data": "Name: John Doe",
            "sid": imchat.tenant.id,
            "conversationID": public_id,
            "createdDate": "2026-01-01T00:00:05.000Z",
            "updatedDate": "2026-01-01T00:00:05.000Z",
        }
    ]


def test_unknown_visitor_places_print_unknown(imchat: ImBoxChat) -> None:
    public_id = imchat.visitor(T0)
    (info,) = imchat.get("grabVisitorInfo", public_id).json()["json"]
    assert (info["user_city"], info["user_country"], info["trafficType"]) == (
        "Unknown",
        "Unknown",
        "Direct",
    )


def test_grab_agent_and_agents(imchat: ImBoxChat) -> None:
    one = imchat.get("grabAgent", imchat.agent.id).json()
    assert one == {
        "result": "success",
        "json": [
            {
                "agentID": imchat.agent.id,
                "sid": imchat.tenant.id,
                "agentName": "John Doe",
                "agentEmail": imchat.agent.email,
                "agentPicture": "https://example.org/avatar.png",
                "agentLastActive": None,
                "department": "Support",
                "isBackOffice": "0",
                "groups": "Sales,Support",
            }
        ],
    }
    every = imchat.get("grabAgents").json()
    assert every["length"] == 2
    jane = every["json"][1]
    assert (jane["agentName"], jane["isBackOffice"], jane["groups"]) == (
        "Jane Doe",
        "1",
        "Marketing",
    )
    assert jane["agentPicture"] == ""
    with imchat.services.store.write() as uow:
        plain = accounts.create_agent(
            uow, imchat.tenant.actor, AgentFields(name="Plain", email=imchat.tenant.address("p"))
        )
    shown = imchat.get("grabAgent", plain.id).json()["json"][0]
    assert shown["department"] == ""  # none set: an empty string, as the spec's examples
    seen = update(t.agents).where(t.agents.c.id == imchat.agent.id).values(last_active=T0 + 7)
    with imchat.services.store.engine.begin() as conn:  # as a sign-in would leave it
        conn.execute(seen)
    again = imchat.get("grabAgent", imchat.agent.id).json()["json"][0]
    assert again["agentLastActive"] == "2026-01-01T00:00:00.007Z"


def test_list_conversations_by_chat_start_and_page_filters(imchat: ImBoxChat) -> None:
    day = 86_400_000
    support = imchat.visitor(T0, "https://example.org/support/faq")
    imchat.write(support, T0 + MINUTE, "visitor")
    shop = imchat.visitor(T0, "https://shop.example.org/cart")
    imchat.write(shop, T0 + day, "visitor")
    browsing = imchat.visitor(T0, "https://example.org/support")  # never chatted
    # It is in the window and its page matches the filters below: only having no chat
    # keeps it out of every list.
    with imchat.services.store.read() as uow:
        found = uow.chat.get_conversation(imchat.tenant.id, browsing)
    assert found is not None and found.session_id is None
    assert (found.created, found.exit_page) == (T0, "https://example.org/support")

    def listed(from_date: str, to_date: str, *filters: int) -> list[str]:
        response = imchat.get(
            "listConversations", from_date, to_date, pageFilterId=[str(f) for f in filters]
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["length"] == len(body["json"])
        for item in body["json"]:
            assert set(item) == {"sid", "conversationID", "date"}
            assert item["date"].startswith("2026-01-0") and item["date"].endswith(".000Z")
            assert item["sid"] == imchat.tenant.id
        return [item["conversationID"] for item in body["json"]]

    assert listed("2026-01-01", "2026-01-02") == [support, shop]
    assert listed("2026-01-01", "2026-01-01") == [support]
    assert listed("2026-01-02", "2026-01-02") == [shop]
    assert listed("2025-12-01", "2025-12-31") == []

    from frontdesk.core import chat

    with imchat.services.store.write() as uow:
        actor = imchat.tenant.actor
        like = chat.create_page_filter(uow, actor, "Support", "SUPPORT", "like").id
        exact = chat.create_page_filter(
            uow, actor, "Cart", "https://shop.example.org/cart", "exact"
        ).id
        prefix = chat.create_page_filter(uow, actor, "Shop", "https://shop.", "startsWith").id
        nothing = chat.create_page_filter(uow, actor, "Odd", "100%_off", "like").id
    assert listed("2026-01-01", "2026-01-02", like) == [support]
    assert listed("2026-01-01", "2026-01-02", exact) == [shop]
    assert listed("2026-01-01", "2026-01-02", prefix) == [shop]
    assert listed("2026-01-01", "2026-01-02", like, exact) == [support, shop]
    assert listed("2026-01-01", "2026-01-02", nothing) == []
    # An id that names no filter (one deleted since) matches nothing; it used to fail the
    # whole request with a 404. Alone, nothing matches: it never widens to everything.
    assert listed("2026-01-01", "2026-01-02", like, 999_999) == [support]
    assert listed("2026-01-01", "2026-01-02", 999_999) == []

    filters = imchat.get("pageFilters").json()
    assert filters["length"] == 4
    assert filters["json"][0] == {
        "id": like,
        "sid": imchat.tenant.id,
        "searchFilter": "SUPPORT",
        "searchName": "Support",
        "matchType": "like",
    }


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        (("listConversations", "2026-13-01", "2026-01-02"), {}, 400, "invalid_date"),
        (("listConversations", "20260101", "2026-01-02"), {}, 400, "invalid_date"),
        (("listConversations", "2026-01-02", "2026-01-01"), {}, 400, "empty_window"),
        (
            ("listConversations", "2026-01-01", "2026-01-02"),
            {"pageFilterId": "x"},
            400,
            "invalid_page_filter",
        ),
        (("grabConversation", "12"), {}, 400, "invalid_conversation_id"),
        (("grabConversation", "V123"), {}, 404, "conversation_not_found"),
        (("grabVisitorInfo", "V1' OR 1=1"), {}, 400, "invalid_conversation_id"),
        (("grabVisitorTags", "V1"), {}, 404, "conversation_not_found"),
        (("grabAgent", "abc"), {}, 400, "invalid_agent_id"),
        (("grabAgent", "99999999999"), {}, 404, "agent_not_found"),
        (("grabAgent", "2147483000"), {}, 404, "agent_not_found"),
        (("grabAgents",), {"x": "1"}, 200, ""),  # no query parameters to check: ignored
    ],
)
def test_bad_input_is_a_clear_error(
    imchat: ImBoxChat, path: tuple[str, ...], params: dict[str, str], status: int, code: str
) -> None:
    response = imchat.get(*path, **params)
    if status == 200:
        assert response.status_code == 200
        return
    _error(response, status, code)


def test_keys_are_checked_before_anything_else(imchat: ImBoxChat, other_tenant: Tenant) -> None:
    public_id = imchat.visitor(T0)
    tickets_only = imchat.tenant.key(Scope.TICKETS_READ)
    _error(
        imchat.client.get(imchat.url("grabConversation", public_id, key="fdk_nope")),
        401,
        "invalid_credentials",
    )
    _error(
        imchat.client.get(imchat.url("grabConversation", public_id, user=other_tenant.id)),
        403,
        "wrong_user",
    )
    _error(
        imchat.client.get(imchat.url("grabConversation", public_id, key=tickets_only)),
        403,
        "missing_scope",
    )
    _error(imchat.client.get(imchat.url("chatStatistics", key=tickets_only)), 403, "missing_scope")


def test_another_accounts_conversations_and_agents_are_not_found(
    imchat: ImBoxChat, other_tenant: Tenant
) -> None:
    public_id = imchat.visitor(T0)
    imchat.write(public_id, T0 + 1, "visitor")
    theirs = other_tenant.key(Scope.CHAT_READ)
    for endpoint in (
        "grabConversation",
        "grabVisitorInfo",
        "grabVisitorTags",
        "grabVisitorLabels",
        "grabVisitorCards",
    ):
        response = imchat.client.get(
            imchat.url(endpoint, public_id, key=theirs, user=other_tenant.id)
        )
        _error(response, 404, "conversation_not_found")
    response = imchat.client.get(
        imchat.url("grabAgent", imchat.agent.id, key=theirs, user=other_tenant.id)
    )
    _error(response, 404, "agent_not_found")
    listed = imchat.client.get(
        imchat.url(
            "listConversations", "2026-01-01", "2026-01-01", key=theirs, user=other_tenant.id
        )
    ).json()
    assert listed == {"result": "success", "json": [], "length": 0}
