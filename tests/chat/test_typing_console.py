"""Typing indicators over the sockets (a real uvicorn), as the agents' console uses them:
each side hears the other type, nobody hears themselves, a bad value is refused, and
nothing is stored."""

from __future__ import annotations

import asyncio

from frontdesk.core import chat
from tests.chat.helpers import ChatAccount, agent, send, until, visitor


def test_the_visitor_and_the_agent_see_each_other_type(
    live: str, chat_account: ChatAccount
) -> None:
    async def scenario() -> str:
        v, welcome = await visitor(live, chat_account.widget)
        public_id = welcome["conversationId"]
        a, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await send(a, {"type": "watch", "conversationId": public_id, "ref": "w"})
        await until(a, lambda f: f.get("ref") == "w")

        await send(v, {"type": "typing", "ref": "t1"})
        heard, _ = await until(a, lambda f: f["type"] == "typing")
        assert heard == {
            "type": "typing",
            "conversationId": public_id,
            "typing": True,
            "who": "visitor",
            "agentId": None,
        }
        await send(v, {"type": "typing", "typing": False})
        heard, _ = await until(a, lambda f: f["type"] == "typing")
        assert heard["typing"] is False

        await send(a, {"type": "typing", "conversationId": public_id, "ref": "t2"})
        seen, before = await until(v, lambda f: f["type"] == "typing")
        agent_out = {"id": chat_account.agent.id, "name": "John"}
        assert seen == {"type": "typing", "typing": True, "agent": agent_out}
        # The visitor's own typing never came back to it.
        assert not [f for f in before if f["type"] == "typing"]

        await send(v, {"type": "typing", "typing": "yes", "ref": "bad"})
        error, _ = await until(v, lambda f: f.get("ref") == "bad")
        assert error["type"] == "error" and error["code"] == "bad_frame"
        await send(a, {"type": "typing", "conversationId": "V1", "ref": "nope"})
        error, _ = await until(a, lambda f: f.get("ref") == "nope")
        assert error["code"] == "not_following"  # only a chat this socket follows
        for ws in (v, a):
            await ws.close()
        return str(public_id)

    public_id = asyncio.run(scenario())
    with chat_account.services.store.read() as uow:
        conversation = chat.get_conversation(uow, chat_account.actor, public_id)
        kinds = [m.body for m in chat.transcript(uow, conversation)]
    assert all("typing" not in body for body in kinds)  # not data: nothing written
