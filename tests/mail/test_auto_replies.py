"""When a new ticket by mail gets its auto reply, and when not, over real SMTP sessions.

The listener trusts Authentication-Results under AUTHSERV, so a sender can be verified by
its DKIM signature whatever the envelope says: the envelope alone must then stop an auto
reply to a bounce (`MAIL FROM:<>`).
"""

from __future__ import annotations

from frontdesk.mail.runtime import MailRuntime
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
