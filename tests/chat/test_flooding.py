"""Flooding the agents' queue: the report was 40 waiting chats in 2.4 s from one client with
only the public widget id. New chats are now limited per address and per widget, new
conversations per address, and a chat enters the queue only once the widget proved (a
small proof of work on a signed challenge) that it runs the widget's script."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select

from frontdesk.app import create_app
from frontdesk.chat import admission
from frontdesk.chat.protocol import Close
from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from tests.chat.helpers import (
    ChatAccount,
    closed_with,
    proof_frame,
    seed,
    send,
    serving,
    until,
    visitor,
)


@pytest.fixture
def flood_server(services: Services, request: pytest.FixtureRequest) -> Iterator[str]:
    """A live server over the session's database with the shipped limits (or those a test
    gives through `@pytest.mark.parametrize("limits", ...)`)."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    defaults = Settings.model_fields
    shipped = {
        name: defaults[name].default
        for name in (
            "chat_new_conversations_per_address",
            "chat_new_chats_per_address",
            "chat_new_chats_per_widget",
            "chat_new_window_seconds",
            "chat_proof_bits",
        )
    }
    settings = services.settings.model_copy(update={**shipped, **overrides})
    with serving(create_app(services=dataclasses.replace(services, settings=settings))) as host:
        yield host


def waiting_chats(services: Services, account: ChatAccount) -> int:
    with services.store.read() as uow:
        query = (
            select(func.count())
            .select_from(t.chat_conversations)
            .where(t.chat_conversations.c.account_id == account.account_id)
            .where(t.chat_conversations.c.status == "waiting")
        )
        return int(uow.conn.execute(query).scalar_one())  # type: ignore[attr-defined]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_forty_chats_from_one_client_are_cut_at_the_address_limit(
    flood_server: str, services: Services
) -> None:
    account = seed(services)
    # Forty 16-bit proofs are solved in this process, which also runs the server: on a slow
    # or busy machine that alone outlasts the helpers' usual 10 s per frame. The test counts
    # what each attempt got, not how fast.
    patience = 120

    async def one(index: int) -> dict[str, Any]:
        try:
            # proves, as the widget does
            ws, _ = await visitor(flood_server, account.widget, timeout=patience)
        except websockets.ConnectionClosed as closed:
            return {"type": "closed", "code": closed.rcvd.code if closed.rcvd else None}
        await send(ws, {"type": "message", "text": f"flood {index}", "ref": "m"})
        answer, _ = await until(
            ws, lambda f: f["type"] in ("ack", "error") and f.get("ref") == "m", patience
        )
        await ws.close()
        return answer

    async def flood() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(i) for i in range(40))))

    started = time.monotonic()
    answers = run(flood())
    took = time.monotonic() - started
    accepted = [a for a in answers if a["type"] == "ack"]
    refused = [a for a in answers if a["type"] == "error"]
    closed = [a for a in answers if a["type"] == "closed"]
    # The shipped defaults: 30 new conversations and 10 new chats per address per window.
    assert len(accepted) == 10
    assert {a["code"] for a in refused} == {"too_many_chats"} and len(refused) == 20
    assert all(1 <= a["retryAfter"] <= 600 for a in refused)
    assert [a["code"] for a in closed] == [Close.RATE_LIMITED] * 10
    assert waiting_chats(services, account) == 10
    print(f"40 attempts in {took:.1f} s: 10 chats queued, 20 refused, 10 hellos closed")


def test_a_script_that_skips_the_proof_queues_nothing(
    flood_server: str, services: Services
) -> None:
    account = seed(services)

    async def scenario() -> None:
        ws, welcome = await visitor(flood_server, account.widget, prove=False)
        assert welcome["proof"]["bits"] == 16 and welcome["proof"]["challenge"]
        for n in range(3):
            await send(ws, {"type": "message", "text": f"let me in {n}", "ref": n})
            error, _ = await until(ws, lambda f: f["type"] == "error")
            assert error["code"] == "proof_required" and error["ref"] == n
        # A made-up or borrowed answer does not count either, and a fresh challenge comes.
        other, other_welcome = await visitor(flood_server, account.widget, prove=False)
        borrowed = proof_frame(other_welcome["proof"])
        await send(ws, borrowed)
        error, _ = await until(ws, lambda f: f["type"] == "error")
        assert error["code"] == "bad_proof" and error["proof"]["challenge"]
        await send(ws, {**proof_frame(welcome["proof"]), "nonce": "x1"})
        error, _ = await until(ws, lambda f: f["type"] == "error")
        assert error["code"] == "bad_proof"
        secret = services.settings.secret_key
        stale = admission.challenge(
            secret, welcome["conversationId"], int(time.time() * 1000) - 11 * 60_000
        )
        await send(ws, proof_frame({"challenge": stale, "bits": 16}))
        error, _ = await until(ws, lambda f: f["type"] == "error")
        assert error["code"] == "proof_expired"
        assert waiting_chats(services, account) == 0
        # Answering the fresh challenge lets the chat in.
        await send(ws, proof_frame(error["proof"]))
        await until(ws, lambda f: f["type"] == "verified")
        await send(ws, {"type": "message", "text": "now?", "ref": "ok"})
        await until(ws, lambda f: f["type"] == "ack" and f.get("ref") == "ok")
        assert waiting_chats(services, account) == 1
        await ws.close()
        await other.close()

    run(scenario())


@pytest.mark.parametrize(
    "flood_server",
    [{"chat_new_chats_per_widget": 4, "chat_proof_bits": 4}],
    indirect=True,
)
def test_many_addresses_are_still_cut_at_the_widget_limit(
    flood_server: str, services: Services
) -> None:
    account, bystander = seed(services), seed(services, "Bystander Co")

    async def one(widget: str, index: int) -> str:
        # Through the trusted local proxy, each visitor comes from its own address.
        headers = {"X-Forwarded-For": f"198.51.100.{index}"}
        ws, _ = await visitor(flood_server, widget, headers=headers)
        await send(ws, {"type": "message", "text": "hi", "ref": "m"})
        answer, _ = await until(ws, lambda f: f["type"] in ("ack", "error") and f.get("ref") == "m")
        await ws.close()
        return str(answer.get("code", "ok"))

    async def scenario() -> None:
        codes = [await one(account.widget, i) for i in range(1, 8)]
        assert codes == ["ok"] * 4 + ["too_many_chats"] * 3
        assert await one(bystander.widget, 50) == "ok"  # another widget has its own count

    run(scenario())
    assert waiting_chats(services, account) == 4


@pytest.mark.parametrize(
    "flood_server",
    [{"chat_new_conversations_per_address": 3, "chat_proof_bits": 4}],
    indirect=True,
)
def test_new_conversations_per_address_are_limited_at_the_hello(
    flood_server: str, services: Services
) -> None:
    account = seed(services)

    async def scenario() -> None:
        opened = [await visitor(flood_server, account.widget) for _ in range(3)]
        resumed_ws, resumed = await visitor(
            flood_server,
            account.widget,
            conversationId=opened[0][1]["conversationId"],
            token=opened[0][1]["token"],
        )
        assert resumed["resumed"] is True  # a returning visitor is not a new conversation
        from tests.chat.helpers import connect

        ws = await connect(flood_server, "visitor")
        await send(ws, {"type": "hello", "widget": account.widget})
        assert await closed_with(ws) == Close.RATE_LIMITED
        for socket, _ in [*opened, (resumed_ws, resumed)]:
            await socket.close()

    run(scenario())
