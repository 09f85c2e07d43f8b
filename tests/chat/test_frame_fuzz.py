"""Generated chat frames against a real server: every frame is answered (the socket stays
usable: a ping after it gets its pong) or the socket is closed with a documented code,
never 1011. Values include NUL, unpaired surrogates, deep nesting and frames that are
not JSON at all: the class of input that closed sockets with 1011 before."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.chat.protocol import Close
from tests.chat.helpers import ChatAccount, agent, connect, send, until, visitor

pytestmark = pytest.mark.slow
DOCUMENTED = {code.value for code in Close} - {Close.INTERNAL_ERROR.value}
TYPES = [
    "hello", "message", "page", "name", "card", "tag", "label", "rate", "close", "ping",
    "proof", "join", "watch", "transfer", "tags", "labels", "list", "offline", "availability",
]  # fmt: skip
FIELDS = [
    "text", "url", "name", "id", "data", "tag", "label", "rating", "conversationId",
    "lastId", "agentId", "tags", "labels", "ref", "challenge", "nonce", "widget", "token",
    "follow", "page", "referrer", "email", "message",
]  # fmt: skip
# Every code point, unpaired surrogates included (json.dumps escapes them as \ud800).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=20)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _sendable(raw: str) -> bool:
    """A text frame is UTF-8 on the wire: raw text with an unpaired surrogate cannot be
    sent at all (inside JSON it travels escaped, and FRAMES cover that)."""
    try:
        raw.encode()
    except UnicodeEncodeError:
        return False
    return True


RAW_TEXT = ANY_TEXT.filter(_sendable)
FRAMES = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | ANY_TEXT},
    optional=dict.fromkeys(FIELDS, VALUES),
).map(json.dumps)
RAW = st.one_of(
    FRAMES,
    FRAMES,
    RAW_TEXT,
    st.integers(1, 6000).map(
        lambda depth: '{"type": "tag", "tag": ' + "[" * depth + "]" * depth + "}"
    ),
)
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def answered_or_closed(ws: Any, raw: str) -> None:
    try:
        await ws.send(raw)
        await send(ws, {"type": "ping", "ref": "after"})
        await until(ws, lambda f: f["type"] == "pong" and f.get("ref") == "after")
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
        assert code in DOCUMENTED, f"closed with {code} after {raw[:200]!r}"
    finally:
        await ws.close()


@FUZZ
@given(raw=RAW)
def test_visitor_frames(live: str, chat_account: ChatAccount, raw: str) -> None:
    async def scenario() -> None:
        ws, _ = await visitor(live, chat_account.widget)
        await answered_or_closed(ws, raw)

    asyncio.run(scenario())


@FUZZ
@given(raw=RAW)
def test_agent_frames(live: str, chat_account: ChatAccount, raw: str) -> None:
    async def scenario() -> None:
        ws, _ = await agent(live, chat_account.key, chat_account.agent.id)
        await answered_or_closed(ws, raw)

    asyncio.run(scenario())


@FUZZ
@given(hello=FRAMES | RAW_TEXT, side=st.sampled_from(["visitor", "agent"]))
def test_first_frames(live: str, chat_account: ChatAccount, hello: str, side: str) -> None:
    """Whatever comes first: a welcome, or a documented close."""

    async def scenario() -> None:
        ws = await connect(live, side)
        try:
            await ws.send(hello)
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert frame["type"] == "welcome", frame
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            assert code in DOCUMENTED, f"closed with {code} after {hello[:200]!r}"
        finally:
            await ws.close()

    asyncio.run(scenario())
