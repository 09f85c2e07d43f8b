"""The queue and the ticket page over HTTP, on both databases."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from frontdesk.core import tickets
from frontdesk.core.automation import service_levels
from frontdesk.core.automation.service_levels import PolicyFields
from frontdesk.core.automation.sla import Targets
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.records import Event
from frontdesk.core.tickets import NewMessage, queues
from frontdesk.core.tickets.records import Priority, Sort, Status, TicketQuery
from frontdesk.services import Services
from frontdesk.services.fanout import LocalFanout
from frontdesk.storage import tables as t
from frontdesk.web import mailview
from frontdesk.web.live import PRESENCE, QUEUE_LIMIT, LiveHub, PresenceBoard, Stream
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-ticket-id="(\d+)"', html)]


@pytest.mark.parametrize("sort", list(Sort))
def test_keyset_pages_walk_every_ticket_once_both_ways(desk: Desk, sort: Sort) -> None:
    if sort is Sort.DUE:  # only tickets with a counting SLA clock have a due time
        every = {priority: Targets(60, 120, 480) for priority in Priority}
        with desk.services.store.write() as uow:
            service_levels.create_policy(uow, desk.tenant.actor, PolicyFields("All", every))
    made = []
    for index, priority in enumerate(
        ["low", "urgent", "normal", "high", "normal", "urgent", "low"]
    ):
        made.append(desk.ticket(f"Ticket {index}", priority=Priority(priority)).id)
    actor = agent_actor(desk.agent)
    query = queues.view_query(queues.View(queues.ViewKind.OPEN), desk.agent.id)
    seen, pages, cursor = [], [], None
    with desk.services.store.read() as uow:
        while True:
            page = queues.page(uow, actor, query, sort, after=cursor, limit=3)
            pages.append(page)
            seen += [row.ticket.id for row in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(made) and len(seen) == 7
        assert [len(p.rows) for p in pages] == [3, 3, 1]
        assert pages[0].previous_cursor is None
        back = queues.page(uow, actor, query, sort, before=pages[2].previous_cursor, limit=3)
    assert [row.ticket.id for row in back.rows] == [row.ticket.id for row in pages[1].rows]
    if sort is Sort.PRIORITY:
        ranks = [row.ticket.priority for p in pages for row in p.rows]
        assert ranks[:2] == [Priority.URGENT, Priority.URGENT] and ranks[-2:] == [Priority.LOW] * 2
    elif sort is Sort.CREATED:
        assert seen == sorted(made, reverse=True)
    elif sort is Sort.DUE:  # the same target for all: the oldest is due first
        assert seen == sorted(made)


def test_the_queue_page_shows_views_filters_search_and_unread(web_app: FastAPI, desk: Desk) -> None:
    refund = desk.ticket("Refund for order 77", "Please refund my zeppelin tickets.")
    other = desk.ticket("Cannot log in", "The app says my password is wrong.")
    with desk.services.store.write() as uow:
        tickets.set_labels(uow, desk.tenant.actor, refund.id, ["vip"])
        tickets.assign(uow, desk.tenant.actor, other.id, [desk.agent.id])
    client = signed_in(web_app, desk.agent.email)
    assert set(_ids(client.get("/tickets?view=open").text)) == {refund.id, other.id}
    assert _ids(client.get("/tickets?view=mine").text) == [other.id]
    assert _ids(client.get("/tickets?view=unassigned").text) == [refund.id]
    assert _ids(client.get("/tickets?view=label:vip").text) == [refund.id]
    assert _ids(client.get(f"/tickets?view=inbox:{desk.inbox.id}&q=zeppelin").text) == [refund.id]
    assert _ids(client.get("/tickets?view=open&q=zeppelin&label=vip&status=new").text) == [
        refund.id
    ]
    assert _ids(client.get("/tickets?view=open&q=zeppelin&status=pending").text) == []
    assert _ids(client.get("/tickets?view=pending&status=new").text) == []  # nothing in both
    fragment = client.get("/tickets?view=open", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="queue"') and "<html" not in fragment.text
    assert client.get("/tickets?view=open").text.count("Unread:") == 2
    client.get(f"/tickets/{refund.id}")  # reading it clears the mark
    page = client.get("/tickets?view=open").text
    assert page.count("Unread:") == 1
    with desk.services.store.write() as uow:
        tickets.add_message(uow, desk.tenant.actor, refund.id, NewMessage(body_text="Any news?"))
    assert client.get("/tickets?view=open").text.count("Unread:") == 2
    for bad in ("view=nowhere", "sort=sideways", "status=lost", "created_from=yesterday",
                "after=1.2.3.4", "q=" + "x" * 600):  # fmt: skip
        answer = client.get(f"/tickets?{bad}")
        assert answer.status_code == 422, bad
        assert "Some of the details are not valid" in answer.text


def test_view_counts(web_app: FastAPI, desk: Desk) -> None:
    first, second, third = (desk.ticket(f"T{i}") for i in range(3))
    with desk.services.store.write() as uow:
        tickets.set_status(uow, desk.tenant.actor, first.id, Status.PENDING)
        tickets.set_status(uow, desk.tenant.actor, second.id, Status.SOLVED)
        tickets.assign(uow, desk.tenant.actor, third.id, [desk.agent.id])
        for labelled in (first, second):  # a label view counts its open tickets only
            tickets.set_labels(uow, desk.tenant.actor, labelled.id, ["vip"])
    client = signed_in(web_app, desk.agent.email)
    html = client.get("/tickets/views").text
    links = re.findall(r'href="/tickets\?view=([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    counts = {
        key: found.group(1)
        for key, inner in links
        if (found := re.search(r'view-link__count">([^<]+)<', inner))
    }
    assert counts["mine"] == "1" and counts["pending"] == "1" and counts["solved"] == "1"
    assert counts["open"] == "2" and counts["unassigned"] == "1"
    assert counts[f"inbox%3A{desk.inbox.id}"] == "2"
    assert counts["label%3Avip"] == "1"
    assert "on-hold" not in counts  # a zero count is not shown


def test_bulk_assign_status_label_and_merge(web_app: FastAPI, desk: Desk) -> None:
    one, two, three = (desk.ticket(f"Bulk {i}") for i in range(3))
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get("/tickets?view=open").text)

    def bulk(action: str, value: str, ids: list[int]) -> Any:
        return client.post(
            "/tickets/bulk",
            data={"action": action, "value": value, "ids": [str(i) for i in ids],
                  "csrf_token": token, "return_to": "/tickets?view=open"},
            follow_redirects=False,
        )  # fmt: skip

    assert bulk("assign", "me", [one.id, two.id]).status_code == 303
    assert bulk("status", "on-hold", [one.id, two.id]).status_code == 303
    assert bulk("add_label", "billing", [two.id, three.id]).status_code == 303
    with desk.services.store.read() as uow:
        details = uow.tickets.ticket_details([one.id, two.id, three.id])
        states = uow.tickets.get_tickets(desk.tenant.id, [one.id, two.id, three.id])
    assert details[one.id].assignee_ids == (desk.agent.id,) == details[two.id].assignee_ids
    assert details[three.id].assignee_ids == ()
    assert states[one.id].status is Status.ON_HOLD and states[three.id].status is Status.NEW
    assert details[two.id].labels == ("billing",) == details[three.id].labels
    assert bulk("status", "lost", [one.id]).status_code == 422
    assert bulk("merge", "", [two.id, three.id]).status_code == 303
    with desk.services.store.read() as uow:
        assert uow.tickets.get_ticket(desk.tenant.id, three.id).merged_into_id == two.id  # type: ignore[union-attr]


def _outbox(services: Services, ticket_id: int) -> list[Any]:
    with services.store.engine.connect() as conn:
        return list(conn.execute(select(t.outbox).where(t.outbox.c.ticket_id == ticket_id)))


def test_reply_with_cc_bcc_and_a_file_is_queued_and_shown(web_app: FastAPI, desk: Desk) -> None:
    ticket = desk.ticket()
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/tickets/{ticket.id}").text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/tickets/{ticket.id}/reply",
        data={"body": "Here is the invoice.", "to": desk.tenant.address("customer"),
              "cc": "boss@example.com", "bcc": "audit@example.com", "then": "solved",
              "seen": seen, "csrf_token": csrf_of(page)},
        files=[("files", ("invoice.pdf", b"%PDF-1.4 fake", "application/pdf"))],
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    [mail] = _outbox(desk.services, ticket.id)
    assert mail.cc_addrs == "boss@example.com" and mail.bcc_addrs == "audit@example.com"
    assert mail.status == "queued" and mail.kind == "agent_reply"
    with desk.services.store.read() as uow:
        now = uow.tickets.get_ticket(desk.tenant.id, ticket.id)
        files = uow.attachments.attachments_of_messages([mail.message_id])[mail.message_id]
    assert now.status is Status.SOLVED  # type: ignore[union-attr]
    with desk.services.store.read() as uow:  # the solve is an event (issue 19), just once
        changes = [d for k, _, d in uow.events.list_events(desk.tenant.id, ticket.id)
                   if k == "ticket.status_changed"]  # fmt: skip
    assert [c["after"] for c in changes] == ["solved"]
    assert [f.original_name for f in files] == ["invoice.pdf"]
    shown = client.get(f"/tickets/{ticket.id}").text
    assert "E-mail queued" in shown and "invoice.pdf" in shown
    download = client.get(f"/tickets/{ticket.id}/attachments/{files[0].id}")
    assert download.content == b"%PDF-1.4 fake"
    assert download.headers["content-disposition"].startswith("attachment;")


def test_a_reply_takes_a_file_up_to_the_attachment_limit_and_refuses_one_over_it(
    web_app: FastAPI, desk: Desk
) -> None:
    """The reply form is an upload route: its body may pass the plain request limit."""
    settings = desk.services.settings
    ticket = desk.ticket()
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/tickets/{ticket.id}").text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]

    def reply(data: bytes) -> Any:
        return client.post(
            f"/tickets/{ticket.id}/reply",
            data={"body": "The log you asked for.", "to": desk.tenant.address("customer"),
                  "seen": seen, "csrf_token": csrf_of(page)},
            files=[("files", ("app.log", data, "text/plain"))],
            follow_redirects=False,
        )  # fmt: skip

    fits = b"line\n" * ((settings.max_request_bytes + 1024) // 5)
    assert settings.max_request_bytes < len(fits) < settings.max_attachment_bytes
    assert reply(fits).status_code == 303
    refused = reply(b"x" * (settings.max_attachment_bytes + 1))
    assert refused.status_code == 413
    [mail] = _outbox(desk.services, ticket.id)  # only the first reply was posted
    with desk.services.store.read() as uow:
        files = uow.attachments.attachments_of_messages([mail.message_id])[mail.message_id]
    assert [f.size for f in files] == [len(fits)]


def test_the_reply_box_copies_the_customers_colleagues_and_never_our_inbox(
    web_app: FastAPI, desk: Desk
) -> None:
    customer = desk.tenant.address("customer")
    with desk.services.store.write() as uow:  # the customer wrote to us and two colleagues
        ticket = tickets.open_ticket(
            uow, desk.tenant.actor,
            tickets.NewTicket(
                subject="Printer", requester_email=customer, inbox_id=desk.inbox.id,
                message=NewMessage(
                    body_text="Help.", to=(desk.inbox.email, "carol@example.org"),
                    cc=("bo@example.org", desk.inbox.email, customer.upper()),
                ),
            ),
        ).ticket  # fmt: skip
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/tickets/{ticket.id}").text
    # Reply to all, visible and editable: the Cc field holds the colleagues.
    shown = re.search(r'id="reply-cc"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*id="reply-cc"', page
    )
    assert shown is not None and shown.group(1) == "carol@example.org, bo@example.org"
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    form = {"body": "On it.", "to": customer, "cc": shown.group(1), "seen": seen}
    sent = client.post(
        f"/tickets/{ticket.id}/reply", data={**form, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    [mail] = _outbox(desk.services, ticket.id)
    assert mail.cc_addrs == "carol@example.org\nbo@example.org"
    # The agent who empties the field sends to the customer alone.
    page = client.get(f"/tickets/{ticket.id}").text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    client.post(
        f"/tickets/{ticket.id}/reply",
        data={**form, "cc": "", "seen": seen, "csrf_token": csrf_of(page)},
    )
    assert sorted(m.cc_addrs for m in _outbox(desk.services, ticket.id)) == [
        "",
        "carol@example.org\nbo@example.org",
    ]


def test_a_stale_reply_is_kept_as_a_draft_and_sent_after_a_look(
    web_app: FastAPI, desk: Desk
) -> None:
    ticket = desk.ticket()
    client = signed_in(web_app, desk.agent.email)
    page = client.get(f"/tickets/{ticket.id}").text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    with desk.services.store.write() as uow:
        tickets.add_message(uow, desk.tenant.actor, ticket.id, NewMessage(body_text="Hello??"))
    form = {"body": "We are on it.", "seen": seen, "csrf_token": csrf_of(page)}
    stale = client.post(f"/tickets/{ticket.id}/reply", data=form)
    assert stale.status_code == 409
    assert "The customer wrote again while you were replying." in stale.text
    assert "We are on it.</textarea>" in stale.text  # kept
    assert _outbox(desk.services, ticket.id) == []
    fresh = re.search(r'name="seen" value="(\d+)"', stale.text).group(1)  # type: ignore[union-attr]
    sent = client.post(
        f"/tickets/{ticket.id}/reply", data={**form, "seen": fresh}, follow_redirects=False
    )
    assert sent.status_code == 303 and len(_outbox(desk.services, ticket.id)) == 1
    assert "We are on it.</textarea>" not in client.get(f"/tickets/{ticket.id}").text


def test_drafts_survive_a_reload(web_app: FastAPI, desk: Desk) -> None:
    ticket = desk.ticket()
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/tickets/{ticket.id}").text)
    saved = client.post(
        f"/tickets/{ticket.id}/draft",
        data={"kind": "note", "body": "Half a thought"},
        headers={"X-CSRF-Token": token},
    )
    assert saved.status_code == 204
    assert "Half a thought</textarea>" in client.get(f"/tickets/{ticket.id}").text
    other = signed_in(web_app, desk.colleague.email)
    assert "Half a thought" not in other.get(f"/tickets/{ticket.id}").text  # private
    bad = client.post(
        f"/tickets/{ticket.id}/draft", data={"kind": "poem", "body": "x"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert bad.status_code == 422


def test_side_panel_actions_note_merge_split_and_archive(web_app: FastAPI, desk: Desk) -> None:
    ticket = desk.ticket("Main ticket")
    other = desk.ticket("Duplicate ticket")
    client = signed_in(web_app, desk.agent.email)
    token = csrf_of(client.get(f"/tickets/{ticket.id}").text)

    def act(path: str, **data: Any) -> Any:
        return client.post(
            f"/tickets/{ticket.id}/{path}", data={**data, "csrf_token": token},
            follow_redirects=False,
        )  # fmt: skip

    assert act("status", status="on-hold").status_code == 303
    assert act("priority", priority="urgent").status_code == 303
    assert act("assign", agents=["me", str(desk.colleague.id)]).status_code == 303
    assert act("labels", labels="vip, refund").status_code == 303
    assert act("tags", tags="mobile").status_code == 303
    assert act("note", body="@jonas can you check the refund?").status_code == 303
    assert act("status", status="sideways").status_code == 422
    with desk.services.store.read() as uow:
        now = uow.tickets.get_ticket(desk.tenant.id, ticket.id)
        details = uow.tickets.ticket_details([ticket.id])[ticket.id]
        log = uow.events.list_events(desk.tenant.id, ticket.id)
    assert now.status is Status.ON_HOLD and now.priority is Priority.URGENT  # type: ignore[union-attr]
    assert set(details.assignee_ids) == {desk.agent.id, desk.colleague.id}
    assert set(details.labels) == {"vip", "refund"} and details.tags == ("mobile",)
    mentions = [data for kind, _actor, data in log if kind == "ticket.mentioned"]
    assert mentions and mentions[0]["agent_ids"] == [desk.colleague.id]
    page = client.get(f"/tickets/{ticket.id}").text
    assert "Internal note" in page and "message--note" in page
    found = client.get(f"/tickets/{ticket.id}/find?q=duplicate")
    assert f'name="target" value="{other.id}"' in found.text
    merged = client.post(
        f"/tickets/{other.id}/merge", data={"target": str(ticket.id), "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert merged.headers["location"] == f"/tickets/{ticket.id}"
    with desk.services.store.read() as uow:
        messages = uow.tickets.list_messages(ticket.id)
    first = next(m for m in messages if m.kind.value == "external")
    split = act("split", messages=[str(first.id)], subject="Split off")
    assert split.status_code == 303
    new_id = int(split.headers["location"].rsplit("/", 1)[1])
    with desk.services.store.read() as uow:
        assert uow.tickets.get_ticket(desk.tenant.id, new_id).subject == "Split off"  # type: ignore[union-attr]
        kind, _actor, data = uow.events.list_events(desk.tenant.id, new_id)[0]
    # Opened by the signed-in agent, as any new ticket is recorded, saying where it came from.
    assert (kind, data["split_from"]) == ("ticket.opened", ticket.id)
    assert act("archive").status_code == 303
    with desk.services.store.read() as uow:
        assert uow.tickets.get_ticket(desk.tenant.id, ticket.id).archived_at is not None  # type: ignore[union-attr]


def test_remote_images_are_blocked_and_quotes_folded() -> None:
    html = (
        '<p>See below</p><p><img src="https://tracker.example/pixel.png" alt="logo">'
        '<img src="data:image/png;base64,AAAA" alt="inline"></p>'
        "<blockquote><p>On Monday you wrote: hello</p></blockquote>"
    )
    shown = str(mailview.display(html))
    assert 'src="https://tracker.example' not in shown
    assert 'href="https://tracker.example/pixel.png"' in shown and "Blocked image: logo" in shown
    assert 'src="data:image/png;base64,AAAA"' in shown
    assert '<details class="quoted"><summary class="quoted__summary">Show quoted text' in shown
    assert mailview.remote_images(html) == 1
    text = str(mailview.display_text("Thanks!\n\nOn Mon, Anna wrote:\n> hi <b>there</b>"))
    assert text.startswith("<p>Thanks!</p><details") and "&lt;b&gt;" in text


def test_presence_is_shared_and_expires(web_app: FastAPI, desk: Desk) -> None:
    ticket = desk.ticket()
    alva = signed_in(web_app, desk.agent.email)
    jonas = signed_in(web_app, desk.colleague.email)
    token = csrf_of(alva.get(f"/tickets/{ticket.id}").text)
    posted = alva.post(
        f"/tickets/{ticket.id}/presence", data={"state": "replying", "tab": "tab-0001"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert posted.status_code == 204
    assert "Alva Lindqvist is replying" in jonas.get(f"/tickets/{ticket.id}/presence").text
    assert "is replying" not in alva.get(f"/tickets/{ticket.id}/presence").text  # not oneself
    alva.post(
        f"/tickets/{ticket.id}/presence", data={"state": "gone", "tab": "tab-0001"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert "Alva" not in jonas.get(f"/tickets/{ticket.id}/presence").text
    clock = [0.0]
    board = PresenceBoard(clock=lambda: clock[0])
    board.hear({"account_id": 1, "ticket_id": 2, "agent_id": 3, "name": "A", "state": "viewing",
                "tab": "t1"})  # fmt: skip
    assert [seen.name for seen in board.on_ticket(1, 2)] == ["A"]
    clock[0] = 41.0  # past EXPIRY without a heartbeat
    assert board.on_ticket(1, 2) == []


def test_the_live_hub_passes_an_accounts_notices_and_keeps_drafts_private() -> None:
    fanout = LocalFanout()
    hub = LiveHub(fanout)
    loop = asyncio.new_event_loop()
    try:
        mine, theirs = Stream(loop, 1), Stream(loop, 2)
        hub.add(mine)
        hub.add(theirs)
        fanout.publish_event(Event(1, "message.added", "x", ticket_id=7))
        fanout.publish_event(Event(1, "draft.saved", "x", ticket_id=7))
        loop.run_until_complete(asyncio.sleep(0))
        assert [mine.queue.get_nowait()] == [{"kind": "message.added", "ticket": 7}]
        assert mine.queue.empty() and theirs.queue.empty()
    finally:
        hub.close()
        loop.close()


def test_a_stream_that_falls_behind_is_told_to_resync_instead_of_losing_changes() -> None:
    """A tab that stops reading (asleep, a slow link) keeps at most QUEUE_LIMIT notices;
    the next one replaces its backlog with one `resync`, and later ones queue behind it."""
    loop = asyncio.new_event_loop()
    try:
        stream = Stream(loop, 1)
        for n in range(QUEUE_LIMIT):
            stream.offer({"kind": "message.added", "ticket": n})
        loop.run_until_complete(asyncio.sleep(0))
        assert stream.queue.qsize() == QUEUE_LIMIT
        stream.offer({"kind": "message.added", "ticket": QUEUE_LIMIT})
        stream.offer({"kind": "ticket.assigned", "ticket": 9})
        loop.run_until_complete(asyncio.sleep(0))
        read = [stream.queue.get_nowait() for _ in range(stream.queue.qsize())]
        assert read == [{"kind": "resync"}, {"kind": "ticket.assigned", "ticket": 9}]
    finally:
        loop.close()


def test_the_live_hub_knows_whether_an_account_changed_since_a_page_was_read() -> None:
    """A page read before a change whose stream opens after it is told to catch up; a
    viewer's presence, a draft or an agent's notifications read is no change; another
    account's change is not ours."""
    now = [1_000.0]
    fanout = LocalFanout()
    hub = LiveHub(fanout, clock=lambda: now[0])
    try:
        assert not hub.changed_since(1, 0)  # nothing heard yet
        fanout.publish_event(Event(1, "draft.saved", "x", ticket_id=7))
        fanout.publish_event(Event(1, "notification.read", "x", agent_id=2))  # opening one
        fanout.publish({"kind": PRESENCE, "account_id": 1, "ticket_id": 7, "agent_id": 2,
                        "name": "Maja", "state": "viewing", "tab": "tab-one-1234"})  # fmt: skip
        assert not hub.changed_since(1, 0)
        fanout.publish_event(Event(1, "ticket.priority_changed", "x", ticket_id=7))
        assert hub.changed_since(1, 999_000)  # page read before the change
        assert hub.changed_since(1, 1_000_050)  # read in the margin: caught up to be safe
        assert not hub.changed_since(1, 1_000_500)  # read after it
        assert not hub.changed_since(2, 0)
    finally:
        hub.close()


def test_a_stream_opened_after_a_change_its_page_missed_starts_with_a_resync(
    web_app: FastAPI, desk: Desk
) -> None:
    client = signed_in(web_app, desk.agent.email)
    page = client.get("/tickets?view=open")
    rendered_at = int(re.search(r'data-rendered-at="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    desk.ticket("Arrived between the page and its stream")
    with client.stream("GET", f"/tickets/live?since={rendered_at}") as stream:
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        told = [next(lines) for _ in range(4)]
    assert 'data: {"kind":"resync"}' in told, told


def test_changes_by_another_agent_reach_the_queue_query(desk: Desk) -> None:
    """What a live refresh re-reads is the committed state (no cache in between)."""
    ticket = desk.ticket()
    actor = agent_actor(desk.agent)
    query = TicketQuery(statuses=frozenset({Status.SOLVED}))
    with desk.services.store.write() as uow:
        tickets.set_status(uow, agent_actor(desk.colleague), ticket.id, Status.SOLVED)
    with desk.services.store.read() as uow:
        rows = queues.page(uow, actor, query, Sort.ACTIVITY).rows
    assert [row.ticket.id for row in rows] == [ticket.id]
    with desk.services.store.engine.begin() as conn:
        conn.execute(update(t.tickets).where(t.tickets.c.id == ticket.id).values(archived_at=1))
    with desk.services.store.read() as uow:
        assert queues.page(uow, actor, query, Sort.ACTIVITY).rows == []


def test_presence_crosses_processes_through_redis() -> None:
    """Two fan-outs on one Redis channel stand for two server processes: a heartbeat posted
    to one is on the other's board, and its streams are told (the browser test shows the
    same within one process, without Redis)."""
    import os
    import secrets
    import time

    import redis

    from frontdesk.services.fanout import RedisFanout
    from frontdesk.web.live import PRESENCE
    from tests.conftest import unavailable

    url = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis unreachable at {url}: {exc}")
    channel = f"frontdesk-test-{secrets.token_hex(4)}:events"
    first, second = RedisFanout(url, channel), RedisFanout(url, channel)
    hubs = [LiveHub(first), LiveHub(second)]
    loop = asyncio.new_event_loop()
    try:
        first.start()
        second.start()
        watching = Stream(loop, 5)
        hubs[1].add(watching)
        first.publish(
            {"kind": PRESENCE, "account_id": 5, "ticket_id": 9, "agent_id": 2, "name": "Maja",
             "state": "replying", "tab": "tab-in-process-one"}
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while not hubs[1].board.on_ticket(5, 9) and time.monotonic() < deadline:
            time.sleep(0.02)
        [seen] = hubs[1].board.on_ticket(5, 9)
        assert (seen.name, seen.state) == ("Maja", "replying")
        loop.run_until_complete(asyncio.sleep(0.05))
        assert watching.queue.get_nowait() == {"kind": "presence", "ticket": 9}
    finally:
        for hub in hubs:
            hub.close()
        first.close()
        second.close()
        loop.close()


@pytest.mark.parametrize("view", ["inbox:²", "inbox:٣", "inbox:0", "inbox:x", "nope"])
def test_a_view_that_names_no_inbox_is_refused_not_a_500(
    web_app: FastAPI, desk: Desk, view: str
) -> None:
    client = signed_in(web_app, desk.agent.email)
    answer = client.get("/tickets", params={"view": view})
    assert answer.status_code == 422, (view, answer.status_code)  # the web app's bad input
