"""Availability and the offline form over real sockets, on both databases: with nobody
online the widget is told so and a message left in its form becomes a ticket (once) with
the inbox's auto reply; with agents online a waiting visitor learns its place in the queue.
The account's widget settings come in the welcome and are changed by admins only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk.core import chat, tickets
from frontdesk.core.identity import accounts
from frontdesk.core.mail.outbox import AUTO_REPLY
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.records import MessageKind
from tests.chat.helpers import ChatAccount, Frame, agent, send, until, visitor


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def _answer(ref: str) -> Any:
    return lambda f: f["type"] in ("ack", "error", "availability") and f.get("ref") == ref


def _inboxes(account: ChatAccount, *names: str) -> list[int]:
    tag = time.time_ns()
    with account.services.store.write() as uow:
        return [
            accounts.create_inbox(
                uow, account.actor, name, f"{name}-{tag}@example.com", f"Thanks, {name} got it"
            ).id
            for name in names
        ]


FORM: Frame = {
    "type": "offline",
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "message": "Please call me back",
    "ref": "form-1",
}


def test_with_nobody_online_the_form_becomes_one_ticket_in_the_chosen_inbox(
    live: str, chat_account: ChatAccount
) -> None:
    first, chosen = _inboxes(chat_account, "sales", "support")
    with chat_account.services.store.write() as uow:
        chat.update_chat_settings(
            uow, chat_account.actor, chat.SettingsChange(offline_inbox_id=chosen)
        )

    public_id: list[str] = []

    async def scenario() -> int:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/")
        public_id.append(welcome["conversationId"])
        assert welcome["availability"] == {"agentsOnline": False, "queuePosition": None}
        await send(v, {**FORM, "email": "not an address", "ref": "bad"})
        bad, _ = await until(v, _answer("bad"))
        assert (bad["type"], bad["code"]) == ("error", "invalid_email")
        await send(v, FORM)
        done, _ = await until(v, _answer("form-1"))
        assert done["type"] == "ack" and isinstance(done["ticket"], int)
        await send(v, FORM)  # resent after a reconnect: the same ticket, nothing new
        again, _ = await until(v, _answer("form-1"))
        assert again == done
        await v.close()
        return int(done["ticket"])

    ticket_id: int = asyncio.run(scenario())
    actor = chat_account.actor
    with chat_account.services.store.read() as uow:
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        messages = uow.tickets.list_messages(ticket.id)
        mails = uow.mail.list_outbox(actor.account_id, ticket_id=None, status=None, limit=10)
        record = chat.get_conversation(uow, actor, public_id[0])
        notes = [m.body for m in chat.transcript(uow, record) if "offlineMessage" in m.body]
    assert ticket.inbox_id == chosen != first
    assert ticket.subject == "Chat message from Ada Lovelace"
    assert [(m.kind, m.from_email, m.from_name, m.body_text) for m in messages] == [
        (MessageKind.EXTERNAL, "ada@example.org", "Ada Lovelace", "Please call me back")
    ]
    assert [(m.kind, m.to, m.ticket_id) for m in mails] == [
        (AUTO_REPLY, ("ada@example.org",), ticket_id)
    ]
    assert notes == [f'{{"type":"offlineMessage","ticketId":{ticket_id}}}']


def test_the_form_needs_the_browser_proof_and_an_inbox(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, _ = await visitor(live, chat_account.widget, prove=False)
        await send(v, FORM)
        refused, _ = await until(v, _answer("form-1"))
        assert (refused["type"], refused["code"]) == ("error", "proof_required")
        await v.close()
        w, _ = await visitor(live, chat_account.widget)
        await send(w, FORM)
        no_inbox, _ = await until(w, _answer("form-1"))
        assert (no_inbox["type"], no_inbox["code"]) == ("error", "no_inbox")
        await w.close()

    run(scenario())
    with chat_account.services.store.read() as uow:
        mails = uow.mail.list_outbox(chat_account.account_id, ticket_id=None, status=None, limit=5)
    assert mails == []


def test_a_waiting_visitor_learns_its_place_in_the_queue(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        first, welcome = await visitor(live, chat_account.widget)
        assert welcome["availability"] == {"agentsOnline": True, "queuePosition": None}
        second, _ = await visitor(live, chat_account.widget)
        for number, ws in enumerate((first, second)):
            await send(ws, {"type": "message", "text": "hello", "ref": f"m{number}"})
            await until(ws, _answer(f"m{number}"))
        assert await _place(first) == {"agentsOnline": True, "queuePosition": 1}
        assert await _place(second) == {"agentsOnline": True, "queuePosition": 2}
        await send(a, {"type": "join", "conversationId": welcome["conversationId"]})
        await until(a, lambda f: f["type"] == "ack")
        assert await _place(second) == {"agentsOnline": True, "queuePosition": 1}
        assert await _place(first) == {"agentsOnline": True, "queuePosition": None}
        await a.close()
        # The server notices the agent left once its socket handler ends: ask until then.
        deadline = time.monotonic() + 10
        while (place := await _place(second))["agentsOnline"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert place == {"agentsOnline": False, "queuePosition": 1}
        await first.close()
        await second.close()

    run(scenario())


def _pushed(frame: Frame) -> bool:
    """An availability frame nobody asked for (an answer carries the question's ref)."""
    return frame["type"] == "availability" and "ref" not in frame


def test_a_waiting_visitors_place_is_pushed_when_the_queue_moves(
    live: str, chat_account: ChatAccount
) -> None:
    """Nobody asks: when a chat ahead is joined or closed, a waiting visitor's socket is
    told its new place; a change that does not move it pushes nothing, and a visitor whose
    chat is not waiting is told nothing."""

    async def scenario() -> None:
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        sockets = []
        for number in range(3):
            ws, welcome = await visitor(live, chat_account.widget)
            await send(ws, {"type": "message", "text": "hello", "ref": f"m{number}"})
            await until(ws, _answer(f"m{number}"))
            sockets.append((ws, welcome["conversationId"]))
        (first, first_id), (second, _), (third, third_id) = sockets
        assert await _place(third) == {"agentsOnline": True, "queuePosition": 3}

        await send(a, {"type": "join", "conversationId": first_id})  # the first leaves the queue
        for ws, place in ((second, 1), (third, 2)):
            # One push each, the first they hear: the chats that joined the queue behind
            # them moved nobody, so those pushed nothing.
            pushed, before = await until(ws, _pushed)
            assert pushed == {"type": "availability", "agentsOnline": True, "queuePosition": place}
            assert not [f for f in before if f["type"] == "availability"]
        await until(first, lambda f: f["type"] == "status" and f["status"] == "active")

        # The last in the queue leaves, and the active chat ends: neither moves the second,
        # so nothing is pushed to it (the answer to its question comes first).
        await send(a, {"type": "close", "conversationId": third_id})
        await until(third, lambda f: f["type"] == "status" and f["status"] == "closed")
        await send(first, {"type": "availability", "ref": "active"})  # not waiting: no push
        answer, before = await until(first, _answer("active"))
        assert answer["queuePosition"] is None and not [f for f in before if _pushed(f)]
        await send(a, {"type": "close", "conversationId": first_id})
        await until(first, lambda f: f["type"] == "status" and f["status"] == "closed")
        await send(second, {"type": "availability", "ref": "still"})
        answer, before = await until(second, _answer("still"))
        assert answer["queuePosition"] == 1 and not [f for f in before if _pushed(f)]
        for ws, _id in sockets:
            await ws.close()
        await a.close()

    run(scenario())


async def _place(ws: Any) -> Frame:
    ref = f"q{time.time_ns()}"
    await send(ws, {"type": "availability", "ref": ref})
    answer, _ = await until(ws, _answer(ref))
    assert answer["type"] == "availability"
    return {key: answer[key] for key in ("agentsOnline", "queuePosition")}


def test_settings_are_the_admins_and_reach_the_welcome(
    live: str, client: TestClient, chat_account: ChatAccount
) -> None:
    from frontdesk.core.identity import credentials
    from frontdesk.core.shared.records import Scope

    with chat_account.services.store.write() as uow:
        admin = credentials.issue_api_key(uow, chat_account.actor, "a", [Scope.ADMIN]).token
    [inbox] = _inboxes(chat_account, "help")
    headers = {"Authorization": f"Bearer {admin}"}
    chat_key = {"Authorization": f"Bearer {chat_account.key}"}
    assert client.get("/api/v1/chat/settings", headers=chat_key).status_code == 403
    default = client.get("/api/v1/chat/settings", headers=headers).json()
    assert default == {
        "team_name": None,
        "offline_inbox_id": None,
        "color": None,
        "position": "right",
        "texts": {},
    }
    for bad in (
        {"color": "red"},
        {"position": "top"},
        {"texts": {"de": {"greeting": "Hallo"}}},
        {"offline_inbox_id": inbox + 10_000},
        {"team_name": "x" * 101},
    ):
        answer = client.patch("/api/v1/chat/settings", headers=headers, json=bad)
        assert 400 <= answer.status_code < 500, bad
    assert client.get("/api/v1/chat/settings", headers=headers).json() == default
    change = {
        "team_name": "Acme support",
        "color": "#AA3300",
        "position": "left",
        "offline_inbox_id": inbox,
        "texts": {"sv": {"greeting": "Hej! Vad kan vi hjälpa till med?"}},
    }
    saved = client.patch("/api/v1/chat/settings", headers=headers, json=change).json()
    assert client.get("/api/v1/chat/settings", headers=headers).json() == saved
    assert saved["color"] == "#aa3300" and saved["texts"] == {
        "sv": {"greeting": "Hej! Vad kan vi hjälpa till med?", "offline": None}
    }
    # Only what a PATCH names changes.
    client.patch("/api/v1/chat/settings", headers=headers, json={"team_name": None})
    kept = client.get("/api/v1/chat/settings", headers=headers).json()
    assert kept == {**saved, "team_name": None}

    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        assert welcome["widget"] == {
            "teamName": None,
            "color": "#aa3300",
            "position": "left",
            "texts": {"sv": {"greeting": "Hej! Vad kan vi hjälpa till med?", "offline": None}},
        }
        await v.close()

    run(scenario())


def test_offline_form_fields_are_checked() -> None:
    for name, email, message, field in (
        (" ", "a@example.org", "hi", "name"),
        ("Ada", "nope", "hi", "email"),
        ("Ada", "a@example.org", "", "message"),
        ("Ada", "a@example.org", "x" * 5001, "message"),
    ):
        with pytest.raises(Invalid) as caught:
            chat.offline_form(name, email, message)
        assert caught.value.field == field
