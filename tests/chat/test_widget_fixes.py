"""Issue 15's widget bugs, over a real socket: a chat is rated once, a page change to a
non-web address is an error frame, and host-page commands said again on every page load
leave the dates of what did not change alone."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from frontdesk.core import chat
from frontdesk.storage import tables as t
from tests.chat.helpers import ChatAccount, agent, is_message, send, until, visitor

PAST = 1_600_000_000_000  # 2020-09-13: any date a write would move is after it


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def _answer(frame_type: str) -> object:
    return lambda f: f["type"] in ("ack", "error") and f.get("ref") == frame_type


def test_a_chat_is_rated_once_and_a_reload_does_not_offer_it_again(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/")
        assert welcome["rateable"] is False
        public_id, token = welcome["conversationId"], welcome["token"]
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(v, {"type": "message", "text": "Help", "ref": "m1"})
        await until(a, lambda f: f["type"] == "chat" and f["status"] == "waiting")
        await send(a, {"type": "message", "conversationId": public_id, "text": "Sure"})
        await until(v, is_message("Sure"))
        await send(a, {"type": "close", "conversationId": public_id})
        await until(v, lambda f: f["type"] == "status" and f["status"] == "closed")

        again, resumed = await visitor(
            live, chat_account.widget, conversationId=public_id, token=token
        )
        assert resumed["resumed"] is True and resumed["rateable"] is True
        await again.close()

        await send(v, {"type": "rate", "rating": 4, "ref": "r1"})
        first, _ = await until(v, _answer("r1"))
        assert first["type"] == "ack"
        await send(v, {"type": "rate", "rating": 1, "ref": "r2"})
        second, _ = await until(v, _answer("r2"))
        assert (second["type"], second["code"]) == ("error", "already_rated")

        after, reloaded = await visitor(
            live, chat_account.widget, conversationId=public_id, token=token
        )
        assert reloaded["rateable"] is False
        for ws in (after, v, a):
            await ws.close()
        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, public_id)
            assert record.session_id is not None
            session = uow.chat.get_session(record.session_id)
            ratings = [m.body for m in chat.transcript(uow, record) if '"rating"' in m.body]
        assert session is not None and session.rating == 4
        assert ratings == ['{"type":"rating","rating":4}']

    run(scenario())


def test_a_page_change_to_a_non_web_address_is_an_error_and_records_nothing(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/a")
        for number, url in enumerate(
            ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "https://")
        ):
            ref = f"p{number}"
            await send(v, {"type": "page", "url": url, "ref": ref})
            answer, _ = await until(v, _answer(ref))
            assert (answer["type"], answer["code"]) == ("error", "invalid_url"), url
        await send(v, {"type": "page", "url": "https://example.org/b", "ref": "ok"})
        answer, _ = await until(v, _answer("ok"))
        assert answer["type"] == "ack"
        await v.close()
        with chat_account.services.store.read() as uow:
            record = chat.get_conversation(uow, chat_account.actor, welcome["conversationId"])
            bodies = [m.body for m in chat.transcript(uow, record)]
        assert record.exit_page == "https://example.org/b"
        assert len(bodies) == 2 and "pageChange" in bodies[1] and "/b" in bodies[1]

    run(scenario())


HOST_COMMANDS = (
    {"type": "name", "name": "Ada"},
    {"type": "card", "id": "order", "data": "Order 1234"},
    {"type": "tag", "tag": "vip"},
    {"type": "label", "label": "Support"},
)


def test_host_commands_said_again_do_not_move_dates(live: str, chat_account: ChatAccount) -> None:
    async def first_load() -> tuple[str, str]:
        v, welcome = await visitor(live, chat_account.widget, page="https://example.org/")
        await _say(v, HOST_COMMANDS)
        await v.close()
        return str(welcome["conversationId"]), str(welcome["token"])

    async def next_load(public_id: str, token: str) -> None:
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        v, _ = await visitor(
            live,
            chat_account.widget,
            page="https://example.org/",
            conversationId=public_id,
            token=token,
        )
        await _say(v, HOST_COMMANDS)  # the host page says it all again
        await _say(v, ({"type": "card", "id": "order", "data": "Order 5678"},))
        # Only the real change reaches the agents' screens.
        changes, _ = await until(a, lambda f: f["type"] == "visitor")
        assert changes == {"type": "visitor", "conversationId": public_id, "card": "order"}
        await v.close()
        await a.close()

    public_id, token = run_for(first_load())
    _pin_dates(chat_account, public_id)
    run(next_load(public_id, token))

    with chat_account.services.store.read() as uow:
        record = chat.get_conversation(uow, chat_account.actor, public_id)
        tags = chat.visitor_tags(uow, record)
        labels = chat.visitor_labels(uow, record)
        cards = chat.visitor_cards(uow, record)
    assert [(t.tag, t.created) for t in tags] == [("Ada", PAST), ("vip", PAST)]
    assert [(label.label, label.created) for label in labels] == [("Support", PAST)]
    [card] = cards
    assert (card.data, card.created) == ("Order 5678", PAST) and card.updated > PAST
    assert record.updated == PAST  # the same name again changed nothing


def run_for(coroutine: object) -> tuple[str, str]:
    return asyncio.run(coroutine)  # type: ignore[arg-type,no-any-return]


async def _say(ws: object, frames: tuple[dict[str, str], ...]) -> None:
    for number, frame in enumerate(frames):
        ref = f"c{number}-{frame['type']}"
        await send(ws, {**frame, "ref": ref})  # type: ignore[arg-type]
        answer, _ = await until(ws, _answer(ref))  # type: ignore[arg-type]
        assert answer["type"] == "ack", (frame, answer)


def _pin_dates(account: ChatAccount, public_id: str) -> None:
    with account.services.store.write() as uow:
        record = chat.get_conversation(uow, account.actor, public_id)
        for table in (t.chat_tags, t.chat_labels):
            uow.conn.execute(
                update(table).where(table.c.conversation_id == record.id).values(created=PAST)
            )
        uow.conn.execute(
            update(t.chat_cards)
            .where(t.chat_cards.c.conversation_id == record.id)
            .values(created=PAST, updated=PAST)
        )
        uow.conn.execute(
            update(t.chat_conversations)
            .where(t.chat_conversations.c.id == record.id)
            .values(updated=PAST)
        )
