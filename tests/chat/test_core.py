"""core.chat on both databases: the lifecycle rules, sessions, tokens, tenancy."""

from __future__ import annotations

import pytest

from frontdesk.core import chat
from frontdesk.core.chat.records import ChatStatus, Sender, VisitorInfo
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.services import Services
from tests.chat.helpers import ChatAccount, seed


def _open(account: ChatAccount) -> tuple[str, str]:
    with account.services.store.write() as uow:
        opened = chat.open_conversation(uow, account.account_id, VisitorInfo(), None)
    return opened.conversation.public_id, opened.token


def test_lifecycle_and_its_conflicts(chat_account: ChatAccount) -> None:
    public_id, _ = _open(chat_account)
    actor, john, jane = chat_account.actor, chat_account.agent.id, chat_account.other_agent.id
    with chat_account.services.store.write() as uow:
        assert chat.get_conversation(uow, actor, public_id).status is ChatStatus.NEW
        with pytest.raises(Conflict, match="waiting"):
            chat.join(uow, actor, public_id, john)
        with pytest.raises(Conflict):
            chat.transfer(uow, actor, public_id, john, jane)
        with pytest.raises(Conflict):
            chat.rate(uow, actor, public_id, 5)
    with chat_account.services.store.write() as uow:
        chat.post_visitor_message(uow, actor, public_id, "hi")
        assert chat.join(uow, actor, public_id, john).status is ChatStatus.ACTIVE
        assert chat.join(uow, actor, public_id, john).agent_id == john  # again: no change
        with pytest.raises(Conflict):
            chat.join(uow, actor, public_id, jane)
        with pytest.raises(Conflict, match="agent has answered"):
            chat.rate(uow, actor, public_id, 5)  # joined, but no answer yet
        chat.agent_reply(uow, actor, public_id, john, "hello")
        assert chat.transfer(uow, actor, public_id, john, jane).agent_id == jane
        assert chat.close(uow, actor, public_id, jane).status is ChatStatus.CLOSED
        chat.rate(uow, actor, public_id, 5)
        first_session = chat.get_conversation(uow, actor, public_id).session_id
    with chat_account.services.store.write() as uow:
        chat.post_visitor_message(uow, actor, public_id, "back again")
        record = chat.get_conversation(uow, actor, public_id)
        assert record.status is ChatStatus.WAITING and record.agent_id is None
        assert record.session_id != first_session
        messages = chat.transcript(uow, record)
    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    assert [m.sender for m in messages if m.body in ("hi", "hello")] == [
        Sender.VISITOR,
        Sender.AGENT,
    ]


def test_tokens_resume_only_their_own_conversation(
    chat_account: ChatAccount, services: Services
) -> None:
    public_id, token = _open(chat_account)
    second_id, second_token = _open(chat_account)  # the same account's next visitor
    other = seed(services, "Other Co")
    with services.store.read() as uow:
        assert chat.resume_conversation(uow, chat_account.account_id, public_id, token)
        assert chat.resume_conversation(uow, chat_account.account_id, second_id, second_token)
        assert chat.resume_conversation(uow, chat_account.account_id, second_id, token) is None
        assert (
            chat.resume_conversation(uow, chat_account.account_id, public_id, second_token) is None
        )
        assert chat.resume_conversation(uow, chat_account.account_id, public_id, "x") is None
        assert chat.resume_conversation(uow, other.account_id, public_id, token) is None
        assert chat.resume_conversation(uow, chat_account.account_id, "", token) is None
        with pytest.raises(NotFound):
            chat.get_conversation(uow, other.actor, public_id)


def test_values_are_checked(chat_account: ChatAccount) -> None:
    public_id, _ = _open(chat_account)
    actor = chat_account.actor
    with chat_account.services.store.write() as uow:
        for call in (
            lambda: chat.post_visitor_message(uow, actor, public_id, "x" * 5001),
            lambda: chat.change_name(uow, actor, public_id, " "),
            lambda: chat.insert_card(uow, actor, public_id, "", "data"),
            lambda: chat.insert_card(uow, actor, public_id, "1", "x" * 10_001),
            lambda: chat.rate(uow, actor, public_id, True),  # type: ignore[arg-type]
            lambda: chat.set_tags(uow, actor, public_id, [str(i) for i in range(101)]),
            lambda: chat.create_page_filter(uow, actor, "n", "f", "regex"),
        ):
            with pytest.raises(Invalid):
                call()
    assert chat.page_url("javascript:alert(1)") is None
    assert (
        chat.page_url("https://example.org/" + "a" * 5000)
        == ("https://example.org/" + "a" * 5000)[:2000]
    )


def test_a_transfer_carries_a_note_for_agents_only(chat_account: ChatAccount) -> None:
    public_id, _ = _open(chat_account)
    actor, john, jane = chat_account.actor, chat_account.agent.id, chat_account.other_agent.id
    with chat_account.services.store.write() as uow:
        chat.post_visitor_message(uow, actor, public_id, "hi")
        chat.join(uow, actor, public_id, john)
    for bad, code in (("x" * (chat.MAX_NOTE + 1), "too_long"), ("a\x00b", "invalid_text")):
        with pytest.raises(Invalid) as refused, chat_account.services.store.write() as uow:
            chat.transfer(uow, actor, public_id, john, jane, bad)
        assert (refused.value.code, refused.value.field) == (code, "note")
    with chat_account.services.store.read() as uow:
        assert chat.get_conversation(uow, actor, public_id).agent_id == john  # nothing moved
    with chat_account.services.store.write() as uow:
        chat.transfer(uow, actor, public_id, john, jane, "  VIP, be quick  ")
        chat.transfer(uow, actor, public_id, jane, john, "   ")  # blank: no note
        messages = chat.transcript(uow, chat.get_conversation(uow, actor, public_id))
    first, second = [m for m in messages if m.sender is Sender.SYSTEM and "transfer" in m.body]
    assert (first.note, second.note) == ("VIP, be quick", None)
    # The body (which the widget and grabConversation show) and the live payload lack it.
    assert "VIP" not in first.body and "VIP" not in str(chat.message_payload(first))
