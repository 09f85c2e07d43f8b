"""The websocket protocol against a real uvicorn server, with the `websockets` client."""

from __future__ import annotations

import asyncio
import json

import pytest

from frontdesk.chat import protocol
from frontdesk.core import chat
from frontdesk.services import Services
from tests.chat.helpers import (
    ChatAccount,
    agent,
    all_of,
    closed_with,
    connect,
    is_message,
    receive,
    send,
    until,
    visitor,
)


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def test_a_visitor_and_an_agent_chat_with_the_spec_sender_rules(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(
            live,
            chat_account.widget,
            page="https://example.org/support",
            referrer="https://www.google.se/search?q=help",
            headers={"X-Forwarded-For": "81.236.0.1"},
        )
        public_id = welcome["conversationId"]
        assert public_id.startswith("V") and public_id[1:].isdigit()
        assert welcome["status"] == "new" and welcome["token"]
        join, _ = await until(v, lambda f: f["type"] == "message")
        assert join["agentID"] is None and join["from"] == "system"
        assert json.loads(join["message"]) == {
            "type": "visitorJoin",
            "currentPage": "https://example.org/support",
        }

        a, agent_welcome = await agent(live, chat_account.key, chat_account.agent.id)
        assert agent_welcome["agent"] == {"id": chat_account.agent.id, "name": "John"}

        await send(v, {"type": "message", "text": "Hello?", "ref": "m1"})
        mine, _ = await until(v, is_message("Hello?"))
        assert mine["agentID"] == 0 and mine["from"] == public_id
        ack, _ = await until(v, lambda f: f["type"] == "ack")
        assert ack == {"type": "ack", "id": mine["id"], "ref": "m1"}
        waiting, _ = await until(a, lambda f: f["type"] == "chat")
        assert waiting["conversationId"] == public_id and waiting["status"] == "waiting"

        await send(a, {"type": "join", "conversationId": public_id, "ref": 7})
        # Joining follows the chat: its history arrives, then live messages.
        frames = await all_of(
            a, lambda f: f["type"] == "ack" and f.get("ref") == 7, is_message("Hello?")
        )
        assert [f["id"] for f in frames if f.get("message") == "Hello?"] == [mine["id"]]
        status, _ = await until(v, lambda f: f["type"] == "status")
        agent_out = {"id": chat_account.agent.id, "name": "John", "picture": None}
        assert status == {"type": "status", "status": "active", "agent": agent_out}

        await send(a, {"type": "message", "conversationId": public_id, "text": "How can I help?"})
        reply, _ = await until(v, is_message("How can I help?"))
        assert reply["agentID"] == chat_account.agent.id and reply["from"] == "John"

        await send(a, {"type": "close", "conversationId": public_id})
        status, _ = await until(v, lambda f: f["type"] == "status")
        assert status["status"] == "closed"
        await send(v, {"type": "rate", "rating": 4, "ref": "r"})
        await until(v, lambda f: f["type"] == "ack" and f.get("ref") == "r")
        await v.close()
        await a.close()

        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, public_id)
            session = uow.chat.get_session(record.session_id or 0)
        assert record.info.traffic_type == "Organic" and record.info.search_engine == "Google"
        assert record.info.browser == "Chrome 50.0.2661" and record.info.os == "Windows 7.0.0"
        assert (record.info.city, record.info.country) == ("Gothenburg", "Sweden")
        assert session is not None and session.rating == 4 and session.closed is not None

    run(scenario())


def test_reconnect_resumes_after_the_last_seen_id_without_losses_or_doubles(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/")
        public_id, token = welcome["conversationId"], welcome["token"]
        await send(v, {"type": "message", "text": "first"})
        first, _ = await until(v, is_message("first"))
        await v.close()

        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        for text in ("missed 1", "missed 2", "missed 3"):
            await send(a, {"type": "message", "conversationId": public_id, "text": text})
            await until(a, lambda f: f["type"] == "ack" and "id" in f)

        again, resumed = await visitor(
            live,
            chat_account.widget,
            conversationId=public_id,
            token=token,
            lastId=first["id"],
            page="https://example.org/",
        )
        assert resumed["conversationId"] == public_id and resumed["resumed"] is True
        assert "token" not in resumed
        await send(again, {"type": "ping", "ref": "p"})
        _, replayed = await until(again, lambda f: f["type"] == "pong")
        texts = [f["message"] for f in replayed if f["type"] == "message"]
        # agentJoin (system) then the three replies, each once, nothing from before lastId.
        assert [t for t in texts if not t.startswith("{")] == ["missed 1", "missed 2", "missed 3"]
        ids = [f["id"] for f in replayed if f["type"] == "message"]
        assert ids == sorted(set(ids)) and min(ids) > first["id"]

        # Live again: the next message arrives once.
        await send(a, {"type": "message", "conversationId": public_id, "text": "live"})
        _, before = await until(again, is_message("live"))
        assert not [f for f in before if f["type"] == "message"]
        await again.close()
        await a.close()

    run(scenario())


def test_a_token_resumes_only_its_own_conversation_not_another_of_the_account(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        page = "https://example.org/"
        a, first = await visitor(live, chat_account.widget, page=page)
        b, second = await visitor(live, chat_account.widget, page=page)
        await a.close()
        await b.close()
        c, third = await visitor(
            live,
            chat_account.widget,
            conversationId=second["conversationId"],
            token=first["token"],
            page=page,
        )
        await c.close()
        assert third["resumed"] is False and "token" in third
        assert third["conversationId"] not in (first["conversationId"], second["conversationId"])

    run(scenario())


def test_a_resent_message_with_the_same_ref_is_stored_once(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        for _ in range(2):
            await send(v, {"type": "message", "text": "only once", "ref": "same-ref"})
            await until(v, lambda f: f["type"] == "ack")
        await v.close()
        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, welcome["conversationId"])
            messages = chat.transcript(uow, record)
        assert [m.body for m in messages if m.body == "only once"] == ["only once"]

    run(scenario())


def test_an_agent_message_resent_with_its_ref_is_stored_once_and_answered_alike(
    live: str, chat_account: ChatAccount
) -> None:
    """A console resending after a reconnect: the same ref gets the first message's id
    (even on a new socket), another ref is a new message."""

    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        await send(v, {"type": "message", "text": "Hi", "ref": "v1"})
        await until(v, lambda f: f["type"] == "ack")
        acks = []
        for _socket in range(2):  # the second socket is the console after a reconnect
            a, _ = await agent(live, chat_account.key, chat_account.agent.id)
            frame = {"type": "message", "conversationId": public_id, "text": "Hello!"}
            await send(a, {**frame, "ref": "agent-ref-1"})
            ack, _ = await until(a, lambda f: f["type"] == "ack" and f.get("ref") == "agent-ref-1")
            acks.append(ack["id"])
            await a.close()
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(a, {**frame, "ref": "agent-ref-2"})
        other, _ = await until(a, lambda f: f["type"] == "ack" and f.get("ref") == "agent-ref-2")
        await send(a, {**frame, "ref": "v1"})  # the visitor's ref is not the agent's
        taken, _ = await until(a, lambda f: f["type"] == "error" and f.get("ref") == "v1")
        await a.close()
        await v.close()
        assert acks[0] == acks[1] and other["id"] != acks[0]
        assert taken["code"] == "ref_taken"
        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, public_id)
            bodies = [m.body for m in chat.transcript(uow, record) if m.body == "Hello!"]
        assert bodies == ["Hello!", "Hello!"]  # agent-ref-1 once, agent-ref-2 once

    run(scenario())


def test_a_stale_or_foreign_token_starts_a_new_conversation(
    live: str, chat_account: ChatAccount, services: Services
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        await v.close()
        w, other = await visitor(
            live, chat_account.widget, conversationId=welcome["conversationId"], token="guess"
        )
        assert other["conversationId"] != welcome["conversationId"] and other["token"]
        await w.close()

    run(scenario())


def test_concurrent_writers_are_seen_in_one_order_by_everyone(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(a, {"type": "watch", "conversationId": public_id})
        await until(a, lambda f: f["type"] == "ack")

        async def burst(ws: object, frames: list[dict[str, object]]) -> None:
            for frame in frames:
                await send(ws, frame)  # type: ignore[arg-type]

        count = 12
        await asyncio.gather(
            burst(v, [{"type": "message", "text": f"v{i}"} for i in range(count)]),
            burst(
                a,
                [
                    {"type": "message", "conversationId": public_id, "text": f"a{i}"}
                    for i in range(count)
                ],
            ),
        )

        async def texts(ws: object) -> list[tuple[int, str]]:
            got: list[tuple[int, str]] = []
            while len([t for _, t in got if t[0] in "va" and not t.startswith("{")]) < 2 * count:
                frame = await receive(ws)  # type: ignore[arg-type]
                if frame["type"] == "message":
                    got.append((frame["id"], frame["message"]))
            return got

        seen_by_visitor, seen_by_agent = await asyncio.gather(texts(v), texts(a))
        visitor_order = [entry for entry in seen_by_visitor if not entry[1].startswith("{")]
        agent_order = [entry for entry in seen_by_agent if not entry[1].startswith("{")]
        assert visitor_order == agent_order
        assert [i for i, _ in visitor_order] == sorted({i for i, _ in visitor_order})
        assert [t for _, t in visitor_order if t[0] == "v"] == [f"v{i}" for i in range(count)]
        await v.close()
        await a.close()

    run(scenario())


def test_a_lost_event_is_filled_in_from_the_database(
    live: str, chat_account: ChatAccount, services: Services
) -> None:
    """The fan-out loses an event (as a lost Redis message would): the next one fills the gap."""

    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        original = services.fanout.publish
        dropped: list[object] = []

        def lossy(item: dict[str, object]) -> None:
            if item.get("kind") == chat.MESSAGE_POSTED and not dropped:
                dropped.append(item)
                return
            original(item)

        services.fanout.publish = lossy  # type: ignore[method-assign]
        try:
            with services.store.write() as uow:
                chat.agent_reply(uow, chat_account.actor, public_id, chat_account.agent.id, "lost")
            with services.store.write() as uow:
                chat.agent_reply(uow, chat_account.actor, public_id, chat_account.agent.id, "next")
        finally:
            services.fanout.publish = original  # type: ignore[method-assign]
        _, before = await until(v, is_message("next"))
        assert dropped and "lost" in [f.get("message") for f in before]
        await v.close()

    run(scenario())


@pytest.mark.parametrize(
    ("hello", "code"),
    [
        ("not json", protocol.Close.BAD_HELLO),
        (json.dumps({"type": "message", "text": "hi"}), protocol.Close.BAD_HELLO),
        (json.dumps({"type": "hello", "widget": "nope"}), protocol.Close.UNKNOWN_WIDGET),
        (json.dumps({"type": "hello", "widget": 12}), protocol.Close.BAD_HELLO),
        # These three were closed with 1011 (an internal error) before.
        (json.dumps({"type": "hello", "widget": "w\u0000"}), protocol.Close.BAD_HELLO),
        (json.dumps({"type": "hello", "widget": "w\ud800"}), protocol.Close.BAD_HELLO),
        ('{"type": "hello", "x": ' + "[" * 5000 + "]" * 5000 + "}", protocol.Close.BAD_HELLO),
    ],
)
def test_a_bad_visitor_hello_closes_with_a_clear_code(live: str, hello: str, code: int) -> None:
    async def scenario() -> None:
        ws = await connect(live, "visitor")
        await ws.send(hello)
        assert await closed_with(ws) == code

    run(scenario())


def test_no_hello_in_time_closes_4408(live: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "HELLO_TIMEOUT_SECONDS", 0.3)

    async def scenario() -> None:
        ws = await connect(live, "visitor")
        assert await closed_with(ws) == protocol.Close.HELLO_TIMEOUT

    run(scenario())


def test_agent_sockets_need_a_valid_key_with_chat_scopes_and_an_own_agent(
    live: str, chat_account: ChatAccount, services: Services
) -> None:
    from tests.chat.helpers import seed

    other = seed(services, "Other Co")
    read_only = chat_account.key  # replaced below by a key without chat:write
    from frontdesk.core.identity import credentials
    from frontdesk.core.shared.records import Scope

    with services.store.write() as uow:
        read_only = credentials.issue_api_key(
            uow, chat_account.actor, "ro", [Scope.CHAT_READ]
        ).token

    async def attempt(token: str, agent_id: int) -> int | None:
        ws = await connect(live, "agent")
        await send(ws, {"type": "hello", "token": token, "agentId": agent_id})
        return await closed_with(ws)

    async def scenario() -> None:
        assert await attempt("fdk_0000000000000000_nope", 1) == protocol.Close.UNAUTHENTICATED
        assert await attempt(read_only, chat_account.agent.id) == protocol.Close.FORBIDDEN
        # An agent of another account, with this account's key.
        assert await attempt(chat_account.key, other.agent.id) == protocol.Close.FORBIDDEN

    run(scenario())


def test_agents_cannot_reach_another_accounts_conversation(
    live: str, chat_account: ChatAccount, services: Services
) -> None:
    from tests.chat.helpers import seed

    other = seed(services, "Other Co")

    async def scenario() -> None:
        v, welcome = await visitor(live, other.widget)
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(a, {"type": "watch", "conversationId": "V1", "lastId": 2**31})
        error, _ = await until(a, lambda f: f["type"] == "error")
        assert error["code"] == "bad_frame"
        for frame in (
            {"type": "watch", "conversationId": welcome["conversationId"]},
            {"type": "join", "conversationId": welcome["conversationId"]},
            {"type": "message", "conversationId": welcome["conversationId"], "text": "x"},
        ):
            await send(a, frame)
            error, _ = await until(a, lambda f: f["type"] == "error")
            assert error["code"] == "conversation_not_found"
        await v.close()
        await a.close()

    run(scenario())


def test_bad_frames_after_the_hello_get_error_frames_and_the_socket_stays(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, _ = await visitor(live, chat_account.widget)
        cases = [
            ("{oops", "bad_frame"),
            (json.dumps({"type": "dance"}), "unknown_type"),
            (json.dumps({"type": "message", "text": "   "}), "required"),
            (json.dumps({"type": "message", "text": "x" * 5001}), "too_long"),
            (json.dumps({"type": "rate", "rating": 9}), "invalid_rating"),
            (json.dumps({"type": "rate", "rating": 3}), "nothing_to_rate"),
            (json.dumps({"type": "close"}), "chat_not_open"),
            (json.dumps({"type": "name", "name": "a\u0000b"}), "invalid_text"),
            # These three closed the socket with 1011 before.
            (json.dumps({"type": "tag", "tag": "\ud800"}), "invalid_text"),
            (json.dumps({"type": "message", "text": "hi \udfff"}), "invalid_text"),
            ('{"type": "page", "url": ' + "[" * 5000 + "]" * 5000 + "}", "bad_frame"),
        ]
        for raw, code in cases:
            await v.send(raw)
            error, _ = await until(v, lambda f: f["type"] == "error")
            assert error["code"] == code, raw
        await v.send(b"\x00\x01")
        error, _ = await until(v, lambda f: f["type"] == "error")
        assert error["code"] == "bad_frame"
        await send(v, {"type": "message", "text": "still here"})
        await until(v, is_message("still here"))
        await v.close()

    run(scenario())


def test_flooding_and_oversize_frames_close_only_that_socket(
    live: str, chat_account: ChatAccount, services: Services
) -> None:
    burst = services.settings.chat_frame_burst
    limit = services.settings.chat_max_frame_bytes

    async def scenario() -> None:
        calm, welcome = await visitor(live, chat_account.widget)
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(a, {"type": "watch", "conversationId": welcome["conversationId"]})
        await until(a, lambda f: f["type"] == "ack")

        flooder, _ = await visitor(live, chat_account.widget)
        for i in range(burst * 3):
            try:
                await send(flooder, {"type": "ping", "ref": i})
            except Exception:  # the server may close before the last frame is written
                break
        assert await closed_with(flooder) == protocol.Close.RATE_LIMITED

        big, _ = await visitor(live, chat_account.widget)
        await big.send(json.dumps({"type": "message", "text": "x" * (limit + 10)}))
        assert await closed_with(big) == protocol.Close.TOO_BIG

        # The others carry on.
        await send(calm, {"type": "message", "text": "unaffected"})
        await until(calm, is_message("unaffected"))
        await until(a, is_message("unaffected"))
        await calm.close()
        await a.close()

    run(scenario())


def test_page_changes_and_widget_commands_are_recorded(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/a")
        for frame in (
            {"type": "page", "url": "https://example.org/b"},
            {"type": "name", "name": "John Doe"},
            {"type": "name", "name": "Johnny"},
            {"type": "card", "id": 1, "data": "Name: John"},
            {"type": "card", "id": "1", "data": "Name: Johnny"},
            {"type": "tag", "tag": "vip"},
            {"type": "tag", "tag": "vip"},
            {"type": "label", "label": "Support"},
        ):
            await send(v, frame)
            answer, _ = await until(v, lambda f: f["type"] in ("ack", "error"))
            assert answer["type"] == "ack", frame
        await v.close()
        public_id = welcome["conversationId"]
        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, public_id)
            tags = chat.visitor_tags(uow, record)
            cards = chat.visitor_cards(uow, record)
            labels = chat.visitor_labels(uow, record)
            bodies = [m.body for m in chat.transcript(uow, record)]
        assert record.exit_page == "https://example.org/b" and record.visitor_name == "Johnny"
        assert [(int(t.type), t.tag) for t in tags] == [(0, "Johnny"), (1, "vip")]
        assert [(c.data_id, c.data) for c in cards] == [("1", "Name: Johnny")]
        assert [label.label for label in labels] == ["Support"]
        assert [json.loads(b)["type"] for b in bodies] == ["visitorJoin", "pageChange"]

    run(scenario())
