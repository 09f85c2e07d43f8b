"""When a new ticket by mail gets its auto reply, and when not (and the ticket says why).

The listener trusts Authentication-Results under AUTHSERV, so a sender can be verified by
its DKIM signature whatever the envelope says: the envelope alone must then stop an auto
reply to a bounce (`MAIL FROM:<>`).
"""

from __future__ import annotations

from sqlalchemy import update

from frontdesk.core import tickets
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets.records import Status
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.runtime import MailRuntime
from frontdesk.storage import tables as t
from tests.mail.conftest import AUTHSERV, MailDesk, mail, smtp_send

SIGNED = f"{AUTHSERV}; dkim=pass header.d=example.org"


def _send(listener: MailRuntime, desk: MailDesk, envelope: str, **headers: str) -> None:
    assert listener.smtp_port is not None
    message = mail(to=desk.support.email, Authentication_Results=SIGNED, **headers)
    smtp_send(listener.smtp_port, message, envelope, [desk.support.email])


def test_a_null_envelope_sender_gets_no_auto_reply(listener: MailRuntime, desk: MailDesk) -> None:
    # No Return-Path header says it is a bounce: only the SMTP envelope does.
    _send(listener, desk, "")
    (ticket,) = desk.tickets()
    assert [m.unverified for m in desk.messages(ticket.id)] == [False]  # DKIM vouched
    assert desk.outbox() == []
    (receipt,) = desk.receipts()
    assert receipt.envelope_from is None


def test_the_same_mail_with_a_real_envelope_gets_its_auto_reply(
    listener: MailRuntime, desk: MailDesk
) -> None:
    _send(listener, desk, "ann@example.org")
    assert [row.to_addr for row in desk.outbox()] == ["ann@example.org"]


# -- the per-sender cap: loops are stopped, people are answered ------------------------------


def _new_ticket(desk: MailDesk, number: int, subject: str = "Printer", **headers: str) -> int:
    """A new ticket from ann@example.org (the previous one closed, so none is appended)."""
    raw = mail(
        to=desk.support.email, subject=subject, Message_ID=f"<m{number}@example.org>", **headers
    )
    (outcome,) = desk.inbound.deliver(raw.as_bytes(), [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    with desk.services.store.write() as uow:
        tickets.set_status(uow, desk.tenant.actor, outcome.ticket_id, Status.CLOSED)
    return outcome.ticket_id


def _why_not(desk: MailDesk, ticket_id: int) -> list[str]:
    return [line for line in desk.log_lines(ticket_id) if line.startswith("No auto reply")]


def _age_auto_replies(desk: MailDesk, minutes: int) -> None:
    """Pin every auto reply queued so far `minutes` in the past."""
    with desk.services.store.engine.begin() as conn:
        conn.execute(
            update(t.outbox)
            .where(t.outbox.c.account_id == desk.tenant.id)
            .values(created=now_ms() - minutes * 60_000)
        )


def test_a_person_writing_a_fourth_ticket_within_the_hour_gets_the_auto_reply(
    desk: MailDesk,
) -> None:
    # Defaults: 3 auto replies per hour; mail 300 s or more after the last one is no loop.
    for number in range(3):
        _new_ticket(desk, number)
    _age_auto_replies(desk, 10)
    fourth = _new_ticket(desk, 3)
    assert len(desk.outbox()) == 4
    assert _why_not(desk, fourth) == []


def test_mail_repeating_quickly_is_capped_and_the_ticket_says_why(desk: MailDesk) -> None:
    for number in range(3):
        _new_ticket(desk, number)
    _age_auto_replies(desk, 4)  # 240 s ago: within the 300 s a loop answers in
    fourth = _new_ticket(desk, 3)
    assert len(desk.outbox()) == 3
    (line,) = _why_not(desk, fourth)
    assert line.startswith("No auto reply: ann@example.org had 3 auto replies in the last 60 min")
    assert line.endswith("and this mail came 240 s after the last one")


def test_automated_looking_mail_is_capped_even_when_slow(desk: MailDesk) -> None:
    for number in range(3):
        _new_ticket(desk, number)
    _age_auto_replies(desk, 30)
    fourth = _new_ticket(desk, 3, subject="Automatic reply: Printer")
    assert len(desk.outbox()) == 3
    (line,) = _why_not(desk, fourth)
    assert line.endswith("this mail looks automated (subject 'Automatic reply: Printer')")
    fifth = _new_ticket(desk, 5, X_Auto_Response_Suppress="All")
    assert _why_not(desk, fifth)[0].endswith("looks automated (header x-auto-response-suppress)")
    # Below the cap, automated-looking mail from a person is still answered.
    _age_auto_replies(desk, 61)
    _new_ticket(desk, 6, subject="Out of office: back Monday, printer still on fire")
    assert len(desk.outbox()) == 4


def test_a_skipped_auto_reply_is_written_on_the_ticket(desk: MailDesk) -> None:
    raw = mail(to=desk.support.email, Auto_Submitted="auto-replied").as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None and desk.outbox() == []
    assert desk.log_lines(outcome.ticket_id) == ["No auto reply: Auto-Submitted: auto-replied"]
    # An inbox without auto-reply text skips nothing, so it says nothing.
    raw = mail(to=desk.sales.email, sender="bo@example.org").as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.sales.email], source=SMTP)
    assert outcome.ticket_id is not None and desk.log_lines(outcome.ticket_id) == []
