"""What an agent's socket is told about chats: the ones its console shows, coalesced.

A console shows the waiting chats, the agent's own and those it follows; a chat's state
still queued for a socket is replaced by a newer one (one entry per chat), while every
message is queued and delivered once, in order (issue 15's 20-console benchmark).
"""

from __future__ import annotations

import asyncio
from typing import Any

from frontdesk.chat.hub import CHAT_STATE, Subscriber
from frontdesk.core import chat
from tests.chat.helpers import ChatAccount, Frame, agent, is_message, receive, send, until, visitor

ACCOUNT = 1


def _state(conversation: int, status: str, agent_id: int | None = None) -> dict[str, Any]:
    return {
        "kind": chat.CHAT_CHANGED,
        "account_id": ACCOUNT,
        "conversation": conversation,
        "public_id": f"V{conversation}",
        "status": status,
        "agent_id": agent_id,
    }


def _message(conversation: int, seq: int) -> dict[str, Any]:
    return {
        "kind": chat.MESSAGE_POSTED,
        "account_id": ACCOUNT,
        "conversation": conversation,
        "message": {"seq": seq},
    }


def test_a_queued_chat_state_is_replaced_by_the_newer_one_and_messages_all_stay() -> None:
    async def scenario() -> list[dict[str, Any]]:
        sub = Subscriber(asyncio.get_running_loop(), ACCOUNT, agent_id=7)

        def churn() -> None:  # the fan-out's thread, as in a running server
            for n in range(300):
                sub.offer(_state(1 + n % 3, "waiting" if n < 297 else "active", agent_id=n))
                if n % 3 == 0:
                    sub.offer(_message(1, n // 3 + 1))

        await asyncio.to_thread(churn)
        await asyncio.sleep(0.05)  # the thread's call_soon_threadsafe callbacks have run
        assert sub.queue.qsize() == 3 + 100  # one entry per chat, one per message
        drained = []
        while not sub.queue.empty():
            item = sub.queue.get_nowait()
            if item["kind"] == CHAT_STATE:
                item = sub.take_state(item["conversation"]) or {"kind": "taken twice"}
            drained.append(item)
        return drained

    drained = asyncio.run(scenario())
    states = [item for item in drained if item["kind"] == chat.CHAT_CHANGED]
    # The latest of each chat's 100 changes, in the order the chats first queued.
    assert [(s["conversation"], s["status"], s["agent_id"]) for s in states] == [
        (1, "active", 297),
        (2, "active", 298),
        (3, "active", 299),
    ]
    messages = [item["message"]["seq"] for item in drained if item["kind"] == chat.MESSAGE_POSTED]
    assert messages == list(range(1, 101))
    assert len(drained) == 103


async def _chat_frames_before_pong(ws: Any, ref: str) -> list[Frame]:
    """Every `chat` frame the socket was sent before it answers this ping."""
    await send(ws, {"type": "ping", "ref": ref})
    _, before = await until(ws, lambda f: f["type"] == "pong" and f.get("ref") == ref)
    return [frame for frame in before if frame["type"] == "chat"]


def test_an_agent_hears_waiting_chats_and_its_own_but_not_colleagues_chats(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        john, _ = await agent(live, chat_account.key, chat_account.agent.id)
        jane, _ = await agent(live, chat_account.key, chat_account.other_agent.id)
        v1, welcome = await visitor(live, chat_account.widget)
        first = welcome["conversationId"]

        await send(v1, {"type": "message", "text": "Anyone there?"})
        for console in (john, jane):  # a waiting chat: every console shows it
            waiting, _ = await until(console, lambda f: f["type"] == "chat")
            assert (waiting["conversationId"], waiting["status"]) == (first, "waiting")

        await send(jane, {"type": "join", "conversationId": first, "ref": "j"})
        await until(jane, lambda f: f.get("ref") == "j")
        # Taken by a colleague: it leaves John's queue, so John is told once...
        [taken] = await _chat_frames_before_pong(john, "p1")
        assert (taken["status"], taken["agentId"]) == ("active", chat_account.other_agent.id)
        await send(jane, {"type": "close", "conversationId": first, "ref": "c"})
        await until(jane, lambda f: f.get("ref") == "c")
        # ...and not again: the colleague's chat is no longer on his board.
        assert await _chat_frames_before_pong(john, "p2") == []

        # A chat Jane starts with a new visitor is hers from the start: John hears nothing.
        v2, welcome = await visitor(live, chat_account.widget)
        second = welcome["conversationId"]
        await send(jane, {"type": "message", "conversationId": second, "text": "Hi", "ref": "m"})
        _, before_ack = await until(jane, lambda f: f.get("ref") == "m")
        assert await _chat_frames_before_pong(john, "p3") == []
        [mine] = [f for f in before_ack if f["type"] == "chat"]
        assert (mine["conversationId"], mine["status"]) == (second, "active")
        assert mine["agentId"] == chat_account.other_agent.id

        # Transferred to John, it is his own chat: he is told, and follows it.
        await send(
            jane,
            {
                "type": "transfer",
                "conversationId": second,
                "agentId": chat_account.agent.id,
                "ref": "t",
            },
        )
        await until(jane, lambda f: f.get("ref") == "t")
        [handed] = await _chat_frames_before_pong(john, "p4")
        assert (handed["conversationId"], handed["agentId"]) == (second, chat_account.agent.id)
        await send(v2, {"type": "message", "text": "Thanks, John"})
        await until(john, is_message("Thanks, John"))
        for ws in (john, jane, v1, v2):
            await ws.close()

    asyncio.run(scenario())


def test_every_message_arrives_once_in_order_while_many_chats_change(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> None:
        john, _ = await agent(live, chat_account.key, chat_account.agent.id)
        followed, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        await send(followed, {"type": "message", "text": "m0"})
        await until(followed, is_message("m0"))  # stored: the chat waits
        await send(john, {"type": "join", "conversationId": public_id, "ref": "j"})
        _, joined = await until(john, lambda f: f.get("ref") == "j")  # the history comes first
        texts = [f["message"] for f in joined if f["type"] == "message" and f["agentID"] == 0]
        assert texts == ["m0"]
        others = [await visitor(live, chat_account.widget) for _ in range(15)]

        async def start_chat(ws: Any) -> None:
            await send(ws, {"type": "message", "text": "a new chat"})

        async def write() -> None:
            for n in range(1, 21):
                await send(followed, {"type": "message", "text": f"m{n}"})

        # Fifteen chats start (each a state change for John's board) while the followed
        # visitor writes twenty messages.
        await asyncio.gather(write(), *(start_chat(ws) for ws, _ in others))
        waiting: list[str] = []
        while len(texts) < 21:
            frame = await receive(john)
            if frame["type"] == "message" and frame["conversationId"] == public_id:
                if frame["agentID"] == 0:
                    texts.append(frame["message"])
            elif frame["type"] == "chat" and frame["status"] == "waiting":
                waiting.append(frame["conversationId"])
        assert texts == [f"m{n}" for n in range(21)]
        waiting += [f["conversationId"] for f in await _chat_frames_before_pong(john, "end")]
        # Each new chat's state once (the flood limits may refuse a few of the fifteen).
        assert len(waiting) == len(set(waiting)) > 0
        assert set(waiting) <= {welcome["conversationId"] for _, welcome in others}
        for ws in [john, followed, *(ws for ws, _ in others)]:
            await ws.close()

    asyncio.run(scenario())
