"""The outbox's claim lease against a slow batch and a dead worker (docs/mail.md, "Outbox").

A worker claims a batch of rows and sends them one after another; each row's lease is
renewed right before its own send, so rows whose lease ran out while earlier ones were
sent, and that another worker claimed meanwhile, are skipped rather than sent twice.
The relay is a real SMTP server (aiosmtpd) answering the end of DATA slowly.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

from frontdesk.core.shared.clock import now_ms
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.outbound import OutboxWorker
from tests.mail.conftest import (
    MailDesk,
    RelayPeer,
    SlowRelay,
    drain,
    free_port,
    mail,
    worker_for,
)

SEND_SECONDS = 0.5  # the relay's delay before it answers the end of DATA
LEASE_MS = 1_200  # shorter than a batch of MAILS sends: later rows outlive it
MAILS = 4


@pytest.fixture
def slow() -> Iterator[SlowRelay]:
    peer = SlowRelay(free_port(), delay=SEND_SECONDS)
    peer.start()
    yield peer
    peer.stop()


def _auto_replies(desk: MailDesk, count: int) -> None:
    """`count` tickets from different customers, each queueing one auto reply."""
    for n in range(count):
        raw = mail(sender=f"c{n}@example.org", to=desk.support.email, subject=f"Case {n}")
        (outcome,) = desk.inbound.deliver(raw.as_bytes(), [desk.support.email], source=SMTP)
        assert outcome.ticket_id is not None


def _leased(desk: MailDesk, slow: SlowRelay) -> OutboxWorker:
    worker = worker_for(desk.services, slow)
    worker.lease_ms = LEASE_MS  # one send fits (0.5 s); a batch of four does not
    return worker


def _received(desk: MailDesk, slow: SlowRelay) -> Counter[str]:
    """How often the relay got each of this tenant's outbox mails, by Message-ID."""
    ours = {row.email_message_id for row in desk.outbox()}
    with slow.lock:
        ids = [str(item.message["Message-ID"]) for item in slow.received]
    return Counter(mid for mid in ids if mid in ours)


async def _overlapping(first: OutboxWorker, second: OutboxWorker) -> int:
    """`first` sends its batch; `second` claims once the batch's later leases ran out."""
    batch = asyncio.create_task(first.run_once())
    await asyncio.sleep(LEASE_MS / 1000 + 0.2)
    taken = await second.run_once()
    await batch
    return taken


def test_a_batch_outliving_its_lease_sends_each_mail_once(desk: MailDesk, slow: SlowRelay) -> None:
    _auto_replies(desk, MAILS)
    first, second = _leased(desk, slow), _leased(desk, slow)
    taken = asyncio.run(_overlapping(first, second))
    # The second worker did claim rows of the first one's batch (their lease had run out)...
    assert taken >= 1
    drain(second)
    # ...and yet every mail reached the relay exactly once, and each row says sent.
    received = _received(desk, slow)
    assert sorted(received.values()) == [1] * MAILS
    assert [row.status for row in desk.outbox()] == ["sent"] * MAILS


def test_a_dead_workers_rows_are_sent_once_after_the_lease_with_the_same_message_id(
    desk: MailDesk, slow: SlowRelay
) -> None:
    _auto_replies(desk, 1)
    (queued,) = desk.outbox()
    # A worker claims the row and dies before sending (its process is gone).
    with desk.services.store.write() as uow:
        claimed = uow.mail.claim_outbox(now_ms(), 50, LEASE_MS)
    assert queued.id in {row.id for row in claimed}
    survivor = _leased(desk, slow)
    drain(survivor)
    assert _received(desk, slow) == Counter()  # still leased to the dead worker
    asyncio.run(asyncio.sleep(LEASE_MS / 1000 + 0.1))
    drain(survivor)
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    # The Message-ID fixed at queue time is the one that left, so a receiver can tell
    # a resend after a crash past the relay's 250 from a new mail.
    assert _received(desk, slow) == Counter({queued.email_message_id: 1})


def test_a_worker_whose_claim_was_taken_does_not_send_or_record(
    desk: MailDesk, slow: SlowRelay
) -> None:
    _auto_replies(desk, 1)
    stale = _leased(desk, slow)
    with desk.services.store.write() as uow:
        claimed = uow.mail.claim_outbox(now_ms(), 50, 0)
    (mail_row,) = [m for m in claimed if m.account_id == desk.tenant.id]
    # Its lease (zero) is over: another worker claims the row and sends it.
    drain(_leased(desk, slow))
    # The stale claim's renewal fails, so it neither sends nor records anything.
    asyncio.run(stale._handle(mail_row))
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert sum(_received(desk, slow).values()) == 1


@dataclass
class SlowToQuit(RelayPeer):
    """Answers QUIT late, noting when it arrived (ms since the epoch)."""

    quit_at: int = 0

    async def handle_QUIT(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        self.quit_at = now_ms()
        await asyncio.sleep(1.5)
        return "221 Bye"


def test_a_mail_is_recorded_sent_before_quit(desk: MailDesk) -> None:
    _auto_replies(desk, 1)
    relay = SlowToQuit(free_port())
    relay.start()
    try:
        drain(worker_for(desk.services, relay))
    finally:
        relay.stop()
    (row,) = desk.outbox()
    # Written right after the relay's 250, not after the slow QUIT: a process dying
    # while it waits for "221 Bye" does not send the mail again.
    assert row.status == "sent" and 0 < row.sent <= relay.quit_at
