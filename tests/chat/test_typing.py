"""What the widget shows of the other side, over real sockets: typing both ways (never
stored), the agent's name in "joined", the agent's picture, and the widget's own tag on
its messages (so a pending bubble is matched whichever of message and ack comes first)."""

from __future__ import annotations

import asyncio
import json

from frontdesk.core import chat
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from tests.chat.helpers import ChatAccount, agent, is_message, send, until, visitor


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def test_typing_goes_both_ways_and_is_not_stored(live: str, chat_account: ChatAccount) -> None:
    with chat_account.services.store.write() as uow:
        accounts.update_agent(
            uow,
            chat_account.actor,
            chat_account.agent.id,
            AgentFields(picture_url="https://example.org/john.png"),
        )

    async def scenario() -> str:
        v, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        b, _ = await agent(live, chat_account.key, chat_account.other_agent.id)
        await send(v, {"type": "message", "text": "hi", "ref": "w-1"})
        mine, _ = await until(v, is_message("hi"))
        assert mine["clientRef"] == "w-1"
        await send(a, {"type": "typing", "conversationId": public_id, "typing": True, "ref": 1})
        refused, _ = await until(a, lambda f: f.get("ref") == 1)
        assert (refused["type"], refused["code"]) == ("error", "not_following")
        await send(a, {"type": "join", "conversationId": public_id})
        joined, _ = await until(
            v,
            lambda f: (
                f["type"] == "message" and f["agentID"] is None and "agentJoin" in f["message"]
            ),
        )
        assert json.loads(joined["message"]) == {
            "type": "agentJoin",
            "agentId": chat_account.agent.id,
            "agentName": "John",
        }
        status, _ = await until(v, lambda f: f["type"] == "status")
        assert status["agent"] == {
            "id": chat_account.agent.id,
            "name": "John",
            "picture": "https://example.org/john.png",
        }
        await send(b, {"type": "watch", "conversationId": public_id})
        await until(b, lambda f: f["type"] == "ack")

        await send(a, {"type": "typing", "conversationId": public_id, "typing": True})
        typing, _ = await until(v, lambda f: f["type"] == "typing")
        assert typing == {
            "type": "typing",
            "typing": True,
            "agent": {"id": chat_account.agent.id, "name": "John"},
        }
        # The watching agent sees the other agent type too; the typist does not see itself.
        other, _ = await until(b, lambda f: f["type"] == "typing")
        assert other["who"] == "agent" and other["agentId"] == chat_account.agent.id
        await send(v, {"type": "typing", "typing": True})
        for ws in (a, b):
            frame, _ = await until(ws, lambda f: f["type"] == "typing")
            assert frame == {
                "type": "typing",
                "conversationId": public_id,
                "typing": True,
                "who": "visitor",
                "agentId": None,
            }
        await send(v, {"type": "typing", "typing": False})
        stopped, before = await until(a, lambda f: f["type"] == "typing")
        assert stopped["typing"] is False and stopped["who"] == "visitor"
        assert not [f for f in before if f["type"] == "typing"]

        resumed, again = await visitor(
            live, chat_account.widget, conversationId=public_id, token=welcome["token"]
        )
        assert again["agent"]["picture"] == "https://example.org/john.png"
        for ws in (v, a, b, resumed):
            await ws.close()
        return str(public_id)

    public_id = asyncio.run(scenario())
    with chat_account.services.store.read() as uow:
        record = chat.get_conversation(uow, chat_account.actor, public_id)
        bodies = [m.body for m in chat.transcript(uow, record)]
    assert not [body for body in bodies if "typing" in body]
