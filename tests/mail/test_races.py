"""Mail arriving together: real SMTP sessions in threads against the real database.

Two mails from a sender the account has never seen, at the same moment, both find no
contact and both create one; on PostgreSQL the second INSERT used to clash with the first
("A contact with these values exists") and that mail was quarantined after its 250.
"""

from __future__ import annotations

import smtplib
import threading
from email.utils import make_msgid

from frontdesk.mail.runtime import MailRuntime
from tests.mail.conftest import MailDesk, mail

SENDERS = 6  # new senders, each sending two mails at once
COPIES = 2


def _send_together(port: int, messages: list[tuple[str, bytes]], to: str) -> list[BaseException]:
    """Open every session first, then send all the DATA at once; the errors, if any."""
    ready = threading.Barrier(len(messages))
    errors: list[BaseException] = []

    def send(sender: str, data: bytes) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                client.ehlo()
                ready.wait(timeout=30)
                client.sendmail(sender, [to], data)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=item) for item in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_two_mails_from_a_new_sender_at_once_both_become_tickets(
    runtime: MailRuntime, desk: MailDesk
) -> None:
    assert runtime.smtp_port is not None
    messages = []
    for number in range(SENDERS):
        sender = desk.tenant.address(f"new{number}")
        for copy in range(COPIES):
            message = mail(
                sender=sender,
                to=desk.support.email,
                subject=f"Order {number} ({copy})",
                Message_ID=make_msgid(domain="example.org"),
            )
            messages.append((sender, message.as_bytes()))
    errors = _send_together(runtime.smtp_port, messages, desk.support.email)
    assert errors == []  # every mail was answered 250
    receipts = desk.receipts()
    assert len(receipts) == SENDERS * COPIES
    assert [(r.status, r.error) for r in receipts if r.status != "delivered"] == []
    assert all(r.ticket_id is not None and r.message_id is not None for r in receipts)
    # One contact per sender, and every mail is a customer message on one of its tickets.
    tickets = desk.tickets()
    assert len({ticket.requester_id for ticket in tickets}) == SENDERS
    written = [m for ticket in tickets for m in desk.messages(ticket.id) if m.contact_id]
    assert len(written) == SENDERS * COPIES
