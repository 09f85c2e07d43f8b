"""Exactly once through a slow relay: the worker waits for the answer to the end of DATA
(a setting, 10 minutes by default; short here), and a timeout after the data was sent is
"outcome unknown": marked, said on the ticket, never resent by itself.

The relay is a real SMTP server (aiosmtpd) that keeps the mail and answers the end of
DATA late, as the slow relay of the issue did (it got the same mail four times); and a
real Postfix whose `smtpd_end_of_data_restrictions = sleep 3` does the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from frontdesk.mail.inbound import SMTP
from tests.mail.conftest import (
    MailDesk,
    RelayPeer,
    SlowRelay,
    drain,
    free_port,
    mail,
    worker_for,
)
from tests.mail.postfix import Postfix, wait_for


@pytest.fixture
def slow() -> Iterator[SlowRelay]:
    peer = SlowRelay(free_port(), delay=2.0)
    peer.start()
    yield peer
    peer.stop()


def _ticket(desk: MailDesk) -> int:
    raw = mail(to=desk.support.email).as_bytes()  # its auto reply is the mail sent
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def test_the_answer_to_the_end_of_data_is_waited_for_beyond_the_command_timeout(
    desk: MailDesk, slow: SlowRelay
) -> None:
    _ticket(desk)
    slow.delay = 4.0
    # Commands time out after 2 s, but the end of DATA gets its own, longer wait.
    worker = worker_for(
        desk.services, slow, relay_timeout_seconds=2.0, relay_data_timeout_seconds=15
    )
    drain(worker)
    assert [row.status for row in desk.outbox()] == ["sent"]
    # (The suite shares one database: a worker also sends other tests' leftover rows.)
    assert len(slow.to("ann@example.org", desk.support.email)) == 1


def test_no_answer_after_data_is_outcome_unknown_and_never_resent(
    desk: MailDesk, slow: SlowRelay, client: TestClient
) -> None:
    ticket_id = _ticket(desk)
    worker = worker_for(desk.services, slow, relay_data_timeout_seconds=0.5)
    drain(worker)
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("unknown", 1)
    assert row.last_error.startswith("SMTPReadTimeoutError after DATA")
    (line,) = [x for x in desk.log_lines(ticket_id) if "outcome unknown" in x]
    assert "It was not sent again" in line
    # The relay did get it; later rounds of any worker leave the row alone.
    drain(worker)
    drain(worker_for(desk.services, slow, relay_data_timeout_seconds=5))
    assert len(slow.to("ann@example.org", desk.support.email)) == 1
    assert [(r.status, r.attempts) for r in desk.outbox()] == [("unknown", 1)]
    listed = client.get(f"/api/v1/tickets/{ticket_id}/mail", headers=desk.tenant.headers())
    assert [item["status"] for item in listed.json()] == ["unknown"]


def test_a_refused_connection_before_data_is_still_retried(desk: MailDesk) -> None:
    _ticket(desk)
    closed = RelayPeer(free_port())  # nothing listens there
    drain(worker_for(desk.services, closed, relay_data_timeout_seconds=0.5))
    (row,) = desk.outbox()
    assert row.status == "queued" and "DATA" not in row.last_error


def test_a_postfix_sleeping_at_end_of_data_gets_the_mail_once(
    desk: MailDesk, relay: RelayPeer
) -> None:
    postfix = Postfix(
        {"example.org": f"smtp:[127.0.0.1]:{relay.port}"},
        {"smtpd_end_of_data_restrictions": "sleep 3"},
    ).start()
    try:
        _ticket(desk)
        worker = worker_for(desk.services, postfix, relay_data_timeout_seconds=1.0)
        drain(worker)
        assert [row.status for row in desk.outbox()] == ["unknown"]
        # Postfix answered 250 after its sleep, queued the mail and delivered it: once.
        assert wait_for(lambda: len(relay.to("ann@example.org", desk.support.email)) == 1)
        drain(worker)
        assert wait_for(lambda: postfix.queue_is_empty()), postfix.log()
        assert len(relay.to("ann@example.org", desk.support.email)) == 1
    finally:
        postfix.stop()
