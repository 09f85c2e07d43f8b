"""The outbox worker against a real SMTP relay peer: headers, retries, failures, no doubles."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.tickets import NewMessage, attachments
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import MessageKind
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.tokens import TicketTokens
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for


def _incoming(desk: MailDesk, message_id: str = "<in-1@example.org>", **headers: str) -> int:
    raw = mail(to=desk.support.email, Message_ID=message_id, **headers).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def _agent_reply(
    desk: MailDesk, ticket_id: int, to: tuple[str, ...], cc: tuple[str, ...] = (), **extra: Any
) -> int:
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        agent = desk.agent(uow)
        upload = attachments.upload(
            uow, desk.services.blobs, actor, Upload("notes.pdf", b"%PDF-1.4 tiny"), 10_000
        )
        message = tickets.add_message(
            uow,
            actor,
            ticket_id,
            NewMessage(
                body_text="Put it out.", agent_id=agent.id, attachment_ids=(upload.id,), **extra
            ),
        )
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        return outbox.queue_reply(uow, actor, ticket, message, to=to, cc=cc)


def test_auto_reply_leaves_with_loop_headers_and_threads_back(
    desk: MailDesk, relay: RelayPeer
) -> None:
    ticket_id = _incoming(desk)
    drain(worker_for(desk.services, relay))
    (sent,) = relay.to("ann@example.org", desk.support.email)
    message = sent.message
    (row,) = desk.outbox()
    assert row.status == "sent" and row.sent is not None
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == "<in-1@example.org>"
    assert message["Message-ID"] == row.email_message_id
    number = desk.tickets()[0].number
    tag = TicketTokens(desk.services.settings.secret_key).tag(desk.tenant.id, number)
    assert message["Subject"] == f"Re: Printer on fire {tag}"
    assert sent.mail_from == "<>"  # RFC 3834: a null return path, so nothing bounces back
    # The mail that left is on the ticket, with its addresses.
    last = desk.messages(ticket_id)[-1]
    assert (last.from_email, last.to_addrs, last.from_name) == (
        desk.support.email,
        "ann@example.org",
        "Support",
    )
    # A reply to the auto reply joins the ticket by its Message-ID.
    _incoming(desk, "<in-2@example.org>", In_Reply_To=row.email_message_id, Subject_="x")
    assert len(desk.tickets()) == 1


def test_agent_reply_carries_threading_attachments_and_copies(
    desk: MailDesk, relay: RelayPeer, client: TestClient
) -> None:
    ticket_id = _incoming(desk)
    queued = _agent_reply(desk, ticket_id, ("ann@example.org",), ("bo@example.org",))
    drain(worker_for(desk.services, relay))
    (sent,) = relay.to("bo@example.org", desk.support.email)
    assert sorted(sent.rcpt_tos) == ["ann@example.org", "bo@example.org"]
    message = sent.message
    assert message["In-Reply-To"] == "<in-1@example.org>"
    assert "<in-1@example.org>" in message["References"]
    assert message["Auto-Submitted"] is None
    # The envelope carries the row's own return path (VERP), so a bounce names the row.
    local, domain = desk.support.email.split("@")
    assert sent.mail_from.startswith(f"{local}+b{queued}-") and sent.mail_from.endswith(domain)
    files = [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
    assert files == [("notes.pdf", b"%PDF-1.4 tiny")]
    assert "Put it out." in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The agent's message records the mail: its Message-ID (so replies thread) and copies.
    agent_message = [row for row in desk.messages(ticket_id) if row.agent_id is not None][-1]
    assert agent_message.email_message_id == message["Message-ID"]
    assert (agent_message.to_addrs, agent_message.cc_addrs) == ("ann@example.org", "bo@example.org")
    listed = client.get(f"/api/v1/tickets/{ticket_id}/mail", headers=desk.tenant.headers())
    assert listed.status_code == 200
    assert {(row["id"], row["status"]) for row in listed.json()} >= {(queued, "sent")}


def test_relay_down_then_back_up_delivers_exactly_once(desk: MailDesk, relay: RelayPeer) -> None:
    relay.stop()
    _incoming(desk)
    worker = worker_for(desk.services, relay, mail_retry_base_seconds=0.2)
    drain(worker)
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("queued", 1) and row.last_error
    relay.start()
    deadline = time.monotonic() + 10
    while not relay.to("ann@example.org", desk.support.email) and time.monotonic() < deadline:
        time.sleep(0.1)
        drain(worker)
    drain(worker)
    assert len(relay.to("ann@example.org", desk.support.email)) == 1
    (row,) = desk.outbox()
    assert row.status == "sent" and row.attempts == 2


def test_a_5xx_fails_visibly_on_the_ticket_and_a_4xx_retries(
    desk: MailDesk, relay: RelayPeer, client: TestClient
) -> None:
    ticket_id = _incoming(desk)
    failing = _agent_reply(desk, ticket_id, ("reject-me@example.org",))
    later = _agent_reply(desk, ticket_id, ("later-please@example.org",))
    drain(worker_for(desk.services, relay))
    rows = {row.id: row for row in desk.outbox()}
    assert rows[failing].status == "failed" and "550" in rows[failing].last_error
    assert rows[later].status == "queued" and "451" in rows[later].last_error
    view = client.get(f"/api/v1/tickets/{ticket_id}", headers=desk.tenant.headers()).json()
    logs = [m["body"] for m in view["messages"] if m["kind"] == MessageKind.LOG.value]
    assert any("reject-me@example.org could not be delivered" in line for line in logs)
    states = client.get(f"/api/v1/tickets/{ticket_id}/mail", headers=desk.tenant.headers())
    assert {row["id"]: row["status"] for row in states.json()}[failing] == "failed"


def test_a_worker_that_dies_mid_send_loses_nothing(desk: MailDesk, relay: RelayPeer) -> None:
    _incoming(desk)
    dying = worker_for(desk.services, relay)
    dying.lease_ms = 1  # its claim runs out at once
    claimed = dying._claim()
    assert any(item.to == ("ann@example.org",) for item in claimed)
    time.sleep(0.01)
    drain(worker_for(desk.services, relay))  # a restarted worker picks the row up again
    assert len(relay.to("ann@example.org", desk.support.email)) == 1
    assert desk.outbox()[0].status == "sent"


def test_two_workers_never_send_a_row_twice(desk: MailDesk, relay: RelayPeer) -> None:
    ticket_id = _incoming(desk)
    queued = [
        _agent_reply(desk, ticket_id, (f"c{number}-{desk.tenant.tag}@example.org",))
        for number in range(12)
    ]
    workers = [worker_for(desk.services, relay) for _ in range(2)]
    for worker in workers:
        worker.batch = 3
    start = threading.Barrier(len(workers))  # both claim at once, or one could drain all
    handled: list[list[int]] = [[] for _ in workers]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait(10)
            while count := asyncio.run(workers[index].run_once()):
                handled[index].append(count)
        except BaseException as exc:  # a crashed worker must fail this test, not only warn
            errors.append(exc)
            raise

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert all(handled), handled  # both really worked
    for number in range(12):
        assert len(relay.to(f"c{number}-{desk.tenant.tag}@example.org", desk.support.email)) == 1
    statuses = {row.id: row.status for row in desk.outbox()}
    assert all(statuses[row_id] == "sent" for row_id in queued)


def test_the_per_sender_cap_stops_auto_reply_ping_pong(desk: MailDesk) -> None:
    from frontdesk.core.tickets.records import Status

    cap = desk.services.settings.auto_reply_cap
    for number in range(cap + 2):
        ticket_id = _incoming(desk, f"<robot-{number}@example.org>")
        with desk.services.store.write() as uow:  # closed: the next mail opens a new ticket
            tickets.set_status(uow, desk.tenant.actor, ticket_id, Status.CLOSED)
    assert len(desk.tickets()) == cap + 2
    assert len(desk.outbox()) == cap


def test_worker_run_loop_sends_and_stops(desk: MailDesk, relay: RelayPeer) -> None:
    _incoming(desk)
    worker = worker_for(desk.services, relay, outbox_poll_seconds=0.05)

    async def main() -> None:
        stop, wake = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(worker.run(stop, wake))
        for _ in range(100):
            if relay.to("ann@example.org", desk.support.email):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert len(relay.to("ann@example.org", desk.support.email)) == 1
