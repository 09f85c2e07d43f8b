"""The agents' REST endpoints (/api/v1/chat): the chat lifecycle, scopes, tenancy, bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from frontdesk.core import chat
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.shared.records import Scope
from tests.chat.helpers import ChatAccount, seed


def _visitor_writes(account: ChatAccount, text: str = "help") -> str:
    with account.services.store.write() as uow:
        opened = chat.open_conversation(
            uow, account.account_id, VisitorInfo(), "https://a.example/"
        )
        public_id = opened.conversation.public_id
        chat.post_visitor_message(uow, chat.visitor_actor(opened.conversation), public_id, text)
    return public_id


def _headers(account: ChatAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.key}"}


def test_the_chat_lifecycle_over_rest(client: TestClient, chat_account: ChatAccount) -> None:
    public_id = _visitor_writes(chat_account)
    headers = _headers(chat_account)
    base = f"/api/v1/chat/conversations/{public_id}"
    waiting = client.get("/api/v1/chat/conversations", headers=headers).json()
    assert [(c["conversation_id"], c["status"]) for c in waiting] == [(public_id, "waiting")]

    joined = client.post(f"{base}/join", json={"agent_id": chat_account.agent.id}, headers=headers)
    assert joined.status_code == 200 and joined.json()["status"] == "active"
    again = client.post(
        f"{base}/join", json={"agent_id": chat_account.other_agent.id}, headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "chat_not_waiting"

    reply = client.post(
        f"{base}/messages",
        json={"agent_id": chat_account.agent.id, "text": "On it"},
        headers=headers,
    )
    assert reply.status_code == 201
    assert reply.json()["agent_id"] == chat_account.agent.id and reply.json()["body"] == "On it"

    moved = client.post(
        f"{base}/transfer",
        json={"agent_id": chat_account.agent.id, "to_agent_id": chat_account.other_agent.id,
              "note": "Wants a callback"},
        headers=headers,
    )  # fmt: skip
    assert moved.json()["agent_id"] == chat_account.other_agent.id
    too_long = client.post(
        f"{base}/transfer",
        json={"agent_id": chat_account.other_agent.id, "to_agent_id": chat_account.agent.id,
              "note": "x" * (chat.MAX_NOTE + 1)},
        headers=headers,
    )  # fmt: skip
    assert too_long.status_code == 422

    tags = client.put(f"{base}/tags", json={"tags": ["vip", "vip", "b2b"]}, headers=headers)
    assert tags.json() == {"tags": ["b2b", "vip"]}  # set together: by name
    labels = client.put(f"{base}/labels", json={"labels": ["Support"]}, headers=headers)
    assert labels.json() == {"labels": ["Support"]}

    closed = client.post(
        f"{base}/close", json={"agent_id": chat_account.other_agent.id}, headers=headers
    )
    assert closed.json()["status"] == "closed"
    assert (
        client.post(
            f"{base}/close", json={"agent_id": chat_account.agent.id}, headers=headers
        ).status_code
        == 409
    )

    detail = client.get(base, headers=headers).json()
    said = [
        (m["sender"], m["agent_id"], m["body"])
        for m in detail["messages"]
        if m["sender"] != "system"
    ]
    assert said == [("visitor", 0, "help"), ("agent", chat_account.agent.id, "On it")]
    notes = [m["note"] for m in detail["messages"] if m["note"] is not None]
    assert notes == ["Wants a callback"]
    assert detail["tags"] == ["b2b", "vip"] and detail["labels"] == ["Support"]
    assert client.get("/api/v1/chat/conversations", headers=headers).json() == []


def test_page_filters(client: TestClient, chat_account: ChatAccount) -> None:
    headers = _headers(chat_account)
    created = client.post(
        "/api/v1/chat/page-filters",
        json={"search_name": "Pricing", "search_filter": "/pricing", "match_type": "like"},
        headers=headers,
    )
    assert created.status_code == 201
    listed = client.get("/api/v1/chat/page-filters", headers=headers).json()
    assert [item["search_name"] for item in listed] == ["Pricing"]
    bad = client.post(
        "/api/v1/chat/page-filters",
        json={"search_name": "x", "search_filter": "y", "match_type": "regex"},
        headers=headers,
    )
    assert bad.status_code == 422
    gone = client.delete(f"/api/v1/chat/page-filters/{created.json()['id']}", headers=headers)
    assert gone.status_code == 204
    assert (
        client.delete(
            f"/api/v1/chat/page-filters/{created.json()['id']}", headers=headers
        ).status_code
        == 404
    )


def test_scopes_tenancy_and_bad_input(client: TestClient, chat_account: ChatAccount) -> None:
    other = seed(chat_account.services, "Other Co")
    public_id = _visitor_writes(chat_account)
    base = f"/api/v1/chat/conversations/{public_id}"
    with chat_account.services.store.write() as uow:
        from frontdesk.core.identity import credentials

        read_only = credentials.issue_api_key(
            uow, chat_account.actor, "ro", [Scope.CHAT_READ]
        ).token
    ro = {"Authorization": f"Bearer {read_only}"}
    assert client.get(base, headers=ro).status_code == 200
    denied = client.post(f"{base}/join", json={"agent_id": chat_account.agent.id}, headers=ro)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "missing_scope"
    assert client.get(base).status_code == 401

    theirs = _headers(other)
    assert client.get(base, headers=theirs).status_code == 404
    # Their key, our agent: the agent is not found in their account.
    their_chat = _visitor_writes(other)
    wrong_agent = client.post(
        f"/api/v1/chat/conversations/{their_chat}/join",
        json={"agent_id": chat_account.agent.id},
        headers=theirs,
    )
    assert (
        wrong_agent.status_code == 404 and wrong_agent.json()["error"]["code"] == "agent_not_found"
    )

    mine = _headers(chat_account)
    cases: list[tuple[str, str, Any]] = [
        ("get", "/api/v1/chat/conversations/12", None),
        ("get", "/api/v1/chat/conversations?status=asleep", None),
        ("post", f"{base}/messages", {"agent_id": chat_account.agent.id, "text": ""}),
        ("post", f"{base}/messages", {"agent_id": 0, "text": "x"}),
        ("post", f"{base}/messages", {"agent_id": chat_account.agent.id, "text": "x", "extra": 1}),
        ("put", f"{base}/tags", {"tags": ["a" * 201]}),
    ]
    for method, url, body in cases:
        response = client.request(method, url, json=body, headers=mine)
        assert response.status_code == 422, (url, body, response.text)


def test_an_agent_message_resent_with_its_idempotency_key_is_stored_once(
    client: TestClient, chat_account: ChatAccount
) -> None:
    """The native API's agent messages take the Idempotency-Key every POST does (its
    idempotency concept; the websocket's `ref` is the console's)."""
    public_id = _visitor_writes(chat_account)
    url = f"/api/v1/chat/conversations/{public_id}/messages"
    body = {"agent_id": chat_account.agent.id, "text": "On it"}
    answers = [
        client.post(url, json=body, headers={**_headers(chat_account), "Idempotency-Key": key})
        for key in ("reply-1", "reply-1", "reply-2")
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    first, again, other = (answer.json()["id"] for answer in answers)
    assert first == again and other != first
    assert answers[1].headers["idempotent-replayed"] == "true"
    with chat_account.services.store.read() as uow:
        record = chat.get_conversation(uow, chat_account.actor, public_id)
        assert [m.body for m in chat.transcript(uow, record)].count("On it") == 2
