"""The agents' chat console over HTTP, on both databases: the board, one conversation
with its visitor panel, and every action, each read back from storage."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.core import chat, tickets
from frontdesk.core.chat import console, presence
from frontdesk.core.chat.records import ChatStatus, Conversation, Sender, VisitorInfo
from frontdesk.core.contacts import find_contact
from frontdesk.core.tickets.records import MessageKind, Status
from frontdesk.services import Services
from frontdesk.services.fanout import LocalFanout
from frontdesk.web.live import LiveHub, Stream
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def waiting_chat(desk: Desk, text: str = "Where is my parcel?", name: str = "Ada") -> str:
    """A visitor from Gothenburg on /shop who wrote, so the chat waits for an agent."""
    info = VisitorInfo(
        traffic_type="Organic", search_engine="Google", browser="Chrome 120.0.0",
        os="Windows 10.0.0", city="Gothenburg", country="Sweden",
    )  # fmt: skip
    with desk.services.store.write() as uow:
        opened = chat.open_conversation(uow, desk.tenant.id, info, "https://shop.example/start")
        public_id = opened.conversation.public_id
        actor = chat.visitor_actor(opened.conversation)
        chat.visit(uow, actor, public_id, "https://shop.example/cart", kind="pageChange")
        chat.change_name(uow, actor, public_id, name)
        chat.insert_card(uow, actor, public_id, "order", "Order 1234")
        chat.post_visitor_message(uow, actor, public_id, text)
    return public_id


def stored(desk: Desk, public_id: str) -> Conversation:
    with desk.services.store.read() as uow:
        return chat.get_conversation(uow, desk.tenant.actor, public_id)


def lines(desk: Desk, public_id: str) -> list[console.Line]:
    with desk.services.store.read() as uow:
        return console.chat_desk(uow, desk.tenant.actor, public_id).lines


def _rows(html: str, group: str) -> list[str]:
    found = re.search(rf'data-chat-group="{group}">(.*?)</ul>', html, re.S)
    return re.findall(r'href="/chats/(V\d+)"', found.group(1)) if found else []


def test_the_board_shows_waiting_mine_and_colleagues_chats(web_app: FastAPI, desk: Desk) -> None:
    first, second, mine, theirs = (waiting_chat(desk, name=n) for n in ("A", "B", "C", "D"))
    with desk.services.store.write() as uow:
        chat.join(uow, desk.tenant.actor, mine, desk.agent.id)
        chat.join(uow, desk.tenant.actor, theirs, desk.colleague.id)
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/chats")
    assert page.status_code == 200
    assert _rows(page.text, "waiting") == [first, second]  # the longest wait first
    assert _rows(page.text, "mine") == [mine]
    assert _rows(page.text, "others") == [theirs]
    assert f'data-waiting="{first} {second}"' in page.text
    fragment = client.get("/chats?part=board", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="chat-board"')
    assert "<html" not in fragment.text
    # The colleague sees the same chats from the other side.
    other = signed_in(web_app, desk.colleague.email).get("/chats").text
    assert _rows(other, "mine") == [theirs] and _rows(other, "others") == [mine]


def test_the_conversation_shows_the_transcript_and_the_visitor_panel(
    web_app: FastAPI, desk: Desk
) -> None:
    public_id = waiting_chat(desk, "Where is my <b>parcel</b>?")
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/chats/{public_id}")
    assert page.status_code == 200
    html = page.text
    assert "Where is my &lt;b&gt;parcel&lt;/b&gt;?" in html  # text, never HTML
    for shown in ("Gothenburg, Sweden", "Chrome 120.0.0", "Windows 10.0.0", "Organic (Google)",
                  "https://shop.example/cart", "Order 1234", "The visitor went to"):  # fmt: skip
        assert shown in html, shown
    # The current page: a link, its whole address in the text and the tooltip.
    cart = "https://shop.example/cart"
    assert re.search(rf'class="facts__url"><a class="url" href="{cart}" title="{cart}"', html)
    assert 'role="log"' in html and ">Join<" in html
    transcript = client.get(f"/chats/{public_id}?part=transcript", headers={"HX-Request": "true"})
    assert transcript.text.lstrip().startswith('<div id="chat-transcript"')
    assert client.get("/chats?part=side").status_code == 422  # no chat open: no panel
    assert client.get(f"/chats/{public_id}?part=nope").status_code == 422


def test_join_reply_tags_labels_transfer_and_close(web_app: FastAPI, desk: Desk) -> None:
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/chats/{public_id}").text)

    def act(action: str, **fields: str) -> int:
        answer = client.post(
            f"/chats/{public_id}/{action}", data={"csrf_token": token, **fields},
            follow_redirects=False,
        )  # fmt: skip
        return answer.status_code

    assert act("join") == 303
    joined = stored(desk, public_id)
    assert joined.status is ChatStatus.ACTIVE and joined.agent_id == desk.agent.id
    assert act("reply", text="  On its way!  ") == 303
    last = lines(desk, public_id)[-1]
    assert (last.sender, last.agent_id, last.text) == (Sender.AGENT, desk.agent.id, "On its way!")
    assert act("tags", tags="vip, parcel, ,vip") == 303
    assert act("labels", labels="Shipping") == 303
    with desk.services.store.read() as uow:
        panel = console.chat_desk(uow, desk.tenant.actor, public_id)
    assert (sorted(panel.tags), panel.labels) == (["parcel", "vip"], ["Shipping"])
    note = "  She wants a <b>refund</b>; order 1234.  "
    assert act("transfer", to_agent=str(desk.colleague.id), note=note) == 303
    assert stored(desk, public_id).agent_id == desk.colleague.id
    transferred = lines(desk, public_id)[-1]
    assert transferred.event["type"] == "transfer" and transferred.note == note.strip()
    assert "refund" not in str(transferred.event)  # not in the body the visitor reads
    # The agent taking over reads it in the transcript, as text, with who wrote it.
    theirs = signed_in(web_app, desk.colleague.email).get(f"/chats/{public_id}").text
    assert re.search(
        r'class="logline__note"><strong>Note from Alva Lindqvist:</strong> '
        r"She wants a &lt;b&gt;refund&lt;/b&gt;; order 1234\.</p>",
        theirs,
    )
    assert act("close") == 303
    assert stored(desk, public_id).status is ChatStatus.CLOSED
    html = client.get(f"/chats/{public_id}").text
    assert "Alva Lindqvist closed the chat" in html and "Transferred to Jonas Berg" in html


def test_an_htmx_reply_answers_204(web_app: FastAPI, desk: Desk) -> None:
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/chats/{public_id}").text)
    answer = client.post(
        f"/chats/{public_id}/reply", data={"text": "Hello"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )  # fmt: skip
    assert answer.status_code == 204
    assert stored(desk, public_id).status is ChatStatus.ACTIVE  # replying joined it
    assert lines(desk, public_id)[-1].text == "Hello"


def test_a_reply_sent_again_with_its_ref_is_stored_once(web_app: FastAPI, desk: Desk) -> None:
    """The console's reply box tags each reply with a ref (chats.js): a retry after a lost
    answer keeps it and writes nothing more; a new ref is a new message."""
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/chats/{public_id}").text
    assert 'name="ref" value="" data-chat-ref' in page
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_of(page)}
    for ref in ("r-1", "r-1", "r-2"):
        answer = client.post(
            f"/chats/{public_id}/reply", data={"text": "On its way", "ref": ref}, headers=headers
        )
        assert answer.status_code == 204
    assert [line.text for line in lines(desk, public_id)].count("On its way") == 2
    colleague = signed_in(web_app, desk.colleague.email)  # a ref is its sender's own
    token = csrf_of(colleague.get(f"/chats/{public_id}").text)
    taken = colleague.post(
        f"/chats/{public_id}/reply", data={"csrf_token": token, "text": "Me too", "ref": "r-1"}
    )
    assert taken.status_code == 409 and "Someone changed this at the same time" in taken.text
    assert [line.text for line in lines(desk, public_id)].count("Me too") == 0


@pytest.mark.parametrize(
    ("action", "fields", "status"),
    [
        ("reply", {"text": "   "}, 422),
        ("reply", {"text": "x" * 5001}, 422),
        ("reply", {"text": "hi", "ref": "r" * 65}, 422),
        ("transfer", {"to_agent": "abc"}, 422),
        ("transfer", {"to_agent": "99999999"}, 404),
        ("transfer", {"to_agent": "COLLEAGUE", "note": "x" * 1001}, 422),
        ("transfer", {"to_agent": "COLLEAGUE", "note": "a\x00b"}, 422),
        ("close", {}, 303),  # the one that works, to show the others were refused for cause
    ],
)
def test_bad_input_is_a_page_and_writes_nothing(
    web_app: FastAPI, desk: Desk, action: str, fields: dict[str, str], status: int
) -> None:
    public_id = waiting_chat(desk)
    with desk.services.store.write() as uow:
        chat.join(uow, desk.tenant.actor, public_id, desk.agent.id)
    before = lines(desk, public_id)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/chats/{public_id}").text)
    if fields.get("to_agent") == "COLLEAGUE":  # a colleague who could take it: the note is why
        fields = {**fields, "to_agent": str(desk.colleague.id)}
    answer = client.post(
        f"/chats/{public_id}/{action}", data={"csrf_token": token, **fields},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == status
    if status != 303:
        assert answer.headers["content-type"].startswith("text/html")
        assert lines(desk, public_id) == before
        assert stored(desk, public_id).status is ChatStatus.ACTIVE


def test_join_of_an_active_chat_is_a_conflict(web_app: FastAPI, desk: Desk) -> None:
    public_id = waiting_chat(desk)
    with desk.services.store.write() as uow:
        chat.join(uow, desk.tenant.actor, public_id, desk.colleague.id)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/chats/{public_id}").text)
    answer = client.post(f"/chats/{public_id}/join", data={"csrf_token": token})
    assert answer.status_code == 409
    assert stored(desk, public_id).agent_id == desk.colleague.id


def test_another_accounts_chat_is_not_found_and_untouched(
    web_app: FastAPI, desk: Desk, services: Services, other_tenant: Tenant
) -> None:
    theirs = waiting_chat(make_desk(services, other_tenant))
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get("/chats").text)
    assert client.get(f"/chats/{theirs}").status_code == 404
    answer = client.post(f"/chats/{theirs}/reply", data={"csrf_token": token, "text": "hi"})
    assert answer.status_code == 404
    assert theirs not in client.get("/chats").text
    with services.store.read() as uow:
        assert chat.get_conversation(uow, other_tenant.actor, theirs).status is ChatStatus.WAITING


def test_changes_need_the_csrf_token_and_a_session(web_app: FastAPI, desk: Desk) -> None:
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    assert client.post(f"/chats/{public_id}/join", data={}).status_code == 403
    assert stored(desk, public_id).status is ChatStatus.WAITING
    outside = TestClient(web_app).get("/chats", follow_redirects=False)
    assert outside.status_code == 303 and "/login" in outside.headers["location"]


def test_chat_notices_reach_the_live_stream_without_text() -> None:
    fanout = LocalFanout()
    hub = LiveHub(fanout)
    got: list[dict[str, object]] = []

    class Catch(Stream):
        def __init__(self) -> None:
            self.account_id = 7

        def offer(self, item: dict[str, object]) -> None:
            got.append(item)

    hub.add(Catch())
    message = {"id": 1, "seq": 1, "sender": "visitor", "body": "secret words", "created": 1}
    fanout.publish({"kind": chat.MESSAGE_POSTED, "account_id": 7, "public_id": "V1",
                    "message": message})  # fmt: skip
    fanout.publish({"kind": chat.CHAT_CHANGED, "account_id": 7, "public_id": "V1",
                    "status": "waiting", "agent_id": None})  # fmt: skip
    fanout.publish({"kind": chat.MESSAGE_POSTED, "account_id": 8, "public_id": "V2",
                    "message": message})  # fmt: skip
    # The visitor's name (not their words) rides along, for the desktop notification.
    named = {**message, "from": "Ada"}
    fanout.publish({"kind": chat.MESSAGE_POSTED, "account_id": 7, "public_id": "V1",
                    "message": named})  # fmt: skip
    fanout.publish({"kind": chat.MESSAGE_POSTED, "account_id": 7, "public_id": "V1",
                    "message": {**message, "from": "V1"}})  # fmt: skip
    fanout.publish({"kind": chat.MESSAGE_POSTED, "account_id": 7, "public_id": "V1",
                    "message": {**named, "sender": "agent"}})  # fmt: skip
    fanout.publish({"kind": chat.CHAT_CHANGED, "account_id": 7, "public_id": "V1",
                    "status": "waiting", "agent_id": None, "visitor_name": "Ada"})  # fmt: skip
    assert got == [
        {"kind": "chat.message", "chat": "V1", "sender": "visitor", "visitor": None},
        {"kind": "chat.changed", "chat": "V1", "status": "waiting", "agent": None,
         "visitor": None},
        {"kind": "chat.message", "chat": "V1", "sender": "visitor", "visitor": "Ada"},
        {"kind": "chat.message", "chat": "V1", "sender": "visitor", "visitor": None},
        {"kind": "chat.message", "chat": "V1", "sender": "agent"},
        {"kind": "chat.changed", "chat": "V1", "status": "waiting", "agent": None,
         "visitor": "Ada"},
    ]  # fmt: skip
    assert all("secret words" not in str(notice) for notice in got)
    hub.close()


def test_a_ticket_from_the_chat_carries_the_transcript_and_the_visitor(
    web_app: FastAPI, desk: Desk
) -> None:
    public_id = waiting_chat(desk, "My parcel never came.")
    with desk.services.store.write() as uow:
        actor = chat.visitor_actor(stored(desk, public_id))
        chat.insert_card(uow, actor, public_id, "email", "ada@example.org")
        chat.agent_reply(uow, desk.tenant.actor, public_id, desk.agent.id, "Sorry! Checking.")
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/chats/{public_id}").text
    assert 'value="ada@example.org"' in page  # the card's e-mail is offered
    answer = client.post(
        f"/chats/{public_id}/ticket",
        data={"csrf_token": csrf_of(page), "requester_email": "ada@example.org"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    ticket_id = int(answer.headers["location"].rsplit("/", 1)[1])
    with desk.services.store.read() as uow:
        ticket = tickets.get_ticket(uow, desk.tenant.actor, ticket_id)
        messages = uow.tickets.list_messages(ticket_id)
        requester = find_contact(uow, desk.tenant.id, ticket.requester_id or 0)
    assert ticket.subject == f"Chat with Ada ({public_id})" and ticket.status is Status.NEW
    assert requester is not None and requester.email == "ada@example.org"
    (note,) = messages
    assert note.kind is MessageKind.INTERNAL and note.agent_id == desk.agent.id
    body = note.body_text or ""
    assert "] Ada: My parcel never came." in body
    assert "] Alva Lindqvist: Sorry! Checking." in body
    assert "pageChange" not in body  # system events stay out
    assert stored(desk, public_id).status is ChatStatus.ACTIVE  # the chat carries on


def test_a_ticket_without_an_e_mail_has_no_requester_and_bad_ones_are_refused(
    web_app: FastAPI, desk: Desk
) -> None:
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/chats/{public_id}").text)
    bad = client.post(
        f"/chats/{public_id}/ticket", data={"csrf_token": token, "requester_email": "not mail"}
    )
    assert bad.status_code == 422
    answer = client.post(f"/chats/{public_id}/ticket", data={"csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    with desk.services.store.read() as uow:
        made = tickets.get_ticket(uow, desk.tenant.actor, int(answer.headers["location"][9:]))
    assert made.requester_id is None
    assert made.number == 1  # the refused one wrote nothing, not even a ticket number


def test_the_agents_typing_goes_out_on_the_fan_out_and_nothing_is_stored(
    web_app: FastAPI, desk: Desk, services: Services, other_tenant: Tenant
) -> None:
    public_id = waiting_chat(desk)
    heard: list[dict[str, object]] = []
    services.fanout.listen(heard.append)
    try:
        client = signed_in(web_app, desk.agent.email)
        token = csrf_of(client.get(f"/chats/{public_id}").text)
        before = lines(desk, public_id)
        answer = client.post(
            f"/chats/{public_id}/typing", data={"typing": "true"}, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 204
        stop = client.post(
            f"/chats/{public_id}/typing", data={"typing": "false"}, headers={"X-CSRF-Token": token}
        )
        assert stop.status_code == 204
        assert client.post(f"/chats/{public_id}/typing", data={"typing": "true"}).status_code == 403
        theirs = waiting_chat(make_desk(services, other_tenant))
        missing = client.post(f"/chats/{theirs}/typing", headers={"X-CSRF-Token": token})
        assert missing.status_code == 404
    finally:
        services.fanout.unlisten(heard.append)
    typing = [item for item in heard if item["kind"] == chat.TYPING]
    assert [(t["public_id"], t["who"], t["agent_id"], t["typing"]) for t in typing] == [
        (public_id, "agent", desk.agent.id, True),
        (public_id, "agent", desk.agent.id, False),
    ]
    assert lines(desk, public_id) == before


def test_status_heartbeats_and_the_team_on_the_board(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get("/chats").text)
    headers = {"X-CSRF-Token": token}

    def team() -> dict[str, str]:
        html = client.get("/chats?part=board", headers={"HX-Request": "true"}).text
        seats = re.findall(r'presence-dot--(\w+)" aria-hidden="true"></span> ([^<]+?) <', html)
        return {name: state for state, name in seats}

    assert team() == {"Alva Lindqvist": "offline", "Jonas Berg": "offline"}  # no tab yet
    beat = client.post("/chats/heartbeat", data={"tab": "tab-00001", "active": "true"},
                       headers=headers)  # fmt: skip
    assert beat.status_code == 204
    assert team()["Alva Lindqvist"] == "online"
    client.post("/chats/heartbeat", data={"tab": "tab-00001", "active": "false"}, headers=headers)
    assert team()["Alva Lindqvist"] == "away"  # the tab says nobody used it lately
    chosen = client.post("/chats/status", data={"status": "offline"},
                         headers={**headers, "HX-Request": "true"})  # fmt: skip
    assert chosen.status_code == 204 and team()["Alva Lindqvist"] == "offline"
    client.post("/chats/status", data={"status": "online", "csrf_token": token})
    client.post("/chats/heartbeat", data={"tab": "tab-00001", "active": "true"}, headers=headers)
    assert team()["Alva Lindqvist"] == "online"
    gone = client.post(
        "/chats/heartbeat", data={"tab": "tab-00001", "gone": "true", "csrf_token": token}
    )  # fmt: skip  (a beacon: the token in the body)
    assert gone.status_code == 204 and team()["Alva Lindqvist"] == "offline"
    assert client.post("/chats/status", data={"status": "busy"}, headers=headers).status_code == 422
    assert client.post("/chats/heartbeat", data={"tab": "x"}, headers=headers).status_code == 422
    assert client.post("/chats/heartbeat", data={"tab": "tab-00001"}).status_code == 403


def test_joining_beyond_the_chat_limit_is_refused_in_the_console(
    web_app: FastAPI, desk: Desk
) -> None:
    first, second = waiting_chat(desk), waiting_chat(desk)
    with desk.services.store.write() as uow:
        presence.set_limit(uow, desk.tenant.actor, desk.agent.id, 1)
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get("/chats").text)
    assert "up to 1 chats" in client.get("/chats").text
    assert client.post(f"/chats/{first}/join", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303  # fmt: skip
    refused = client.post(f"/chats/{second}/join", data={"csrf_token": token})
    assert refused.status_code == 409 and "text/html" in refused.headers["content-type"]
    assert stored(desk, second).status is ChatStatus.WAITING


def test_the_panel_lists_the_visitors_earlier_chats_and_tickets(
    web_app: FastAPI, desk: Desk
) -> None:
    public_id = waiting_chat(desk, "First visit")
    with desk.services.store.write() as uow:
        visitor = chat.visitor_actor(stored(desk, public_id))
        chat.insert_card(uow, visitor, public_id, "e-mail", "ada@example.org")
        chat.agent_reply(uow, desk.tenant.actor, public_id, desk.agent.id, "Hello")
        chat.close(uow, desk.tenant.actor, public_id, desk.agent.id)
        chat.rate(uow, visitor, public_id, 5)
    client = signed_in(web_app, desk.agent.email)
    closed = client.get(f"/chats/{public_id}").text
    assert "rated 5 of 5" in closed  # a closed chat shows itself among the visitor's chats
    with desk.services.store.write() as uow:
        chat.post_visitor_message(uow, visitor, public_id, "Back again")
    page = client.get(f"/chats/{public_id}").text
    earlier = re.search(r'id="side-history">(.*?)</section>', page, re.S)
    assert earlier is not None
    assert earlier.group(1).count("<li>") == 1 and "Alva Lindqvist" in earlier.group(1)
    assert "Tickets" not in earlier.group(1)  # no ticket of ada@example.org yet
    token = csrf_of(page)
    client.post(f"/chats/{public_id}/ticket",
                data={"csrf_token": token, "requester_email": "ada@example.org"})  # fmt: skip
    again = client.get(f"/chats/{public_id}").text
    assert re.search(r'href="/tickets/\d+">#1 Chat with Ada', again)


def test_the_board_shows_whom_a_waiting_chat_is_offered_to(web_app: FastAPI, desk: Desk) -> None:
    public_id = waiting_chat(desk)
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/chats").text
    assert "Offered to" not in page  # nobody is online yet
    token = csrf_of(page)
    client.post("/chats/heartbeat", data={"tab": "tab-00001"}, headers={"X-CSRF-Token": token})
    board = client.get("/chats?part=board", headers={"HX-Request": "true"}).text
    assert "Offered to you" in board and f'data-offered="{public_id} "' in board
    assert re.search(r'data-next-offer="\d{13}"', board)
    other = signed_in(web_app, desk.colleague.email).get("/chats").text
    assert "Offered to Alva Lindqvist" in other and 'data-offered=""' in other
