"""Bounces are matched to the outbox row they report on and never become tickets.

A corpus of report shapes written for these tests (RFC 3464 DSNs as Postfix, Exchange and
Gmail send them, qmail's "failure notice", Exim's "Mail delivery failed", a delay notice,
a success notice), delivered through the inbound pipeline; the real-Postfix round trip is
in test_postfix.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import Status
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.tokens import BounceTokens
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for

CUSTOMER = "ann@example.org"


def _sent_reply(desk: MailDesk, relay: RelayPeer) -> tuple[int, Any, str]:
    """A ticket whose agent reply went out: (ticket id, its outbox row, the return path)."""
    raw = mail(to=desk.support.email, Message_ID="<q1@example.org>").as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    ticket_id = outcome.ticket_id
    assert ticket_id is not None
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        message = tickets.add_message(
            uow, actor, ticket_id, NewMessage(body_text="Try this.", agent_id=desk.agent(uow).id)
        )
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        row_id = outbox.queue_reply(uow, actor, ticket, message, to=(CUSTOMER,))
    drain(worker_for(desk.services, relay))
    (row,) = [r for r in desk.outbox() if r.id == row_id]
    assert row.status == "sent"
    (sent,) = [r for r in relay.received if r.message["Message-ID"] == row.email_message_id]
    return ticket_id, row, sent.mail_from


def _deliver(desk: MailDesk, raw: bytes, to: str, envelope: str = "") -> Any:
    (outcome,) = desk.inbound.deliver(raw, [to], source=SMTP, envelope_from=envelope)
    return outcome


def _dsn(original_id: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    """An RFC 3464 report in Postfix's shape, with the returned mail attached."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
Subject: Undelivered Mail Returned to Sender
To: support@example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Message-Id: <dsn-{action}@mx.example.org>
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=utf-8

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {CUSTOMER}
Original-Recipient: rfc822;{CUSTOMER}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{CUSTOMER}>: Recipient address rejected: User unknown

--B
Content-Type: message/rfc822

From: Support <support@example.com>
To: {CUSTOMER}
Message-ID: {original_id}
Subject: Re: Printer on fire

Try this.

--B--
""".replace("\n", "\r\n").encode()


def _headers_only_dsn(original_id: str) -> bytes:
    """Exchange's and Gmail's shape: text/rfc822-headers instead of the whole mail."""
    return f"""From: postmaster@outlook.example
Subject: Undeliverable: Re: Printer on fire
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: text/plain

Delivery has failed to these recipients or groups.

--X
Content-Type: message/delivery-status

Reporting-MTA: dns;EX1.outlook.example

Final-Recipient: rfc822;{CUSTOMER}
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp;554 5.2.2 mailbox full

--X
Content-Type: text/rfc822-headers

From: Support <support@example.com>
Message-ID: {original_id}
Subject: Re: Printer on fire

--X--
""".replace("\n", "\r\n").encode()


def _qmail(original_id: str) -> bytes:
    return f"""From: MAILER-DAEMON@mail.example.org
Subject: failure notice

Hi. This is the qmail-send program at mail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{CUSTOMER}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <support@example.com>
Message-ID: {original_id}
Subject: Re: Printer on fire

Try this.
""".replace("\n", "\r\n").encode()


def _exim(original_id: str) -> bytes:
    return f"""From: Mail Delivery System <Mailer-Daemon@exim.example.org>
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {CUSTOMER}
    host mx.example.org [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<{CUSTOMER}>:
    550 5.7.1 Relaying denied

------ This is a copy of the message, including all the headers. ------

Message-ID: {original_id}
Subject: Re: Printer on fire
""".replace("\n", "\r\n").encode()


def test_a_dsn_to_the_verp_return_path_fails_the_row_on_its_ticket(
    desk: MailDesk, relay: RelayPeer
) -> None:
    ticket_id, row, return_path = _sent_reply(desk, relay)
    assert return_path == BounceTokens(desk.services.settings.secret_key).return_path(
        desk.support.email, row.id
    )
    before = desk.tickets()
    # The report quotes no Message-ID at all: the return path alone names the row.
    outcome = _deliver(desk, _dsn("<unrelated@elsewhere.test>"), return_path)
    assert (outcome.status, outcome.ticket_id) == ("bounce", ticket_id)
    (failed,) = [r for r in desk.outbox() if r.id == row.id]
    assert failed.status == "failed"
    assert failed.last_error == (
        f"bounced: {CUSTOMER}: 550 5.1.1 <{CUSTOMER}>: Recipient address rejected: User unknown"
    )
    assert [t.id for t in desk.tickets()] == [t.id for t in before]  # no ticket of a bounce
    assert [t.status for t in desk.tickets()] == [t.status for t in before]
    (line,) = [x for x in desk.log_lines(ticket_id) if "bounced" in x]
    assert line.startswith(f"E-mail to {CUSTOMER} bounced: {CUSTOMER}: 550 5.1.1")
    receipt = desk.receipts()[-1]
    assert (receipt.status, receipt.ticket_id) == ("bounce", ticket_id)


@pytest.mark.parametrize("shape", [_dsn, _headers_only_dsn, _qmail, _exim])
def test_a_bounce_without_verp_is_matched_by_the_message_id(
    desk: MailDesk, relay: RelayPeer, shape: Any
) -> None:
    ticket_id, row, _path = _sent_reply(desk, relay)
    outcome = _deliver(desk, shape(row.email_message_id), desk.support.email)
    assert (outcome.status, outcome.ticket_id) == ("bounce", ticket_id)
    (failed,) = [r for r in desk.outbox() if r.id == row.id]
    assert failed.status == "failed" and failed.last_error.startswith("bounced: ")
    assert len(desk.tickets()) == 1
    reasons = {
        _dsn: "User unknown",
        _headers_only_dsn: "mailbox full",
        _qmail: "no mailbox here",
        _exim: "Relaying denied",
    }
    assert reasons[shape] in failed.last_error


def test_a_delay_notice_is_said_on_the_ticket_and_the_row_stays_sent(
    desk: MailDesk, relay: RelayPeer
) -> None:
    ticket_id, row, return_path = _sent_reply(desk, relay)
    outcome = _deliver(desk, _dsn(row.email_message_id, "delayed", "4.4.1"), return_path)
    assert outcome.status == "bounce"
    assert [r.status for r in desk.outbox() if r.id == row.id] == ["sent"]
    assert any("is delayed" in line for line in desk.log_lines(ticket_id))
    # A success notice changes nothing and says nothing.
    lines = desk.log_lines(ticket_id)
    assert _deliver(desk, _dsn(row.email_message_id, "delivered", "2.0.0"), return_path).status == (
        "bounce"
    )
    assert desk.log_lines(ticket_id) == lines and len(desk.tickets()) == 1


def test_a_bounce_for_mail_we_did_not_send_is_quarantined_not_a_ticket(desk: MailDesk) -> None:
    outcome = _deliver(desk, _dsn("<never-ours@example.com>"), desk.support.email)
    assert outcome.status == "quarantined" and "delivery report on no mail" in outcome.error
    assert desk.tickets() == []


def test_a_forged_return_path_token_is_only_a_plus_address(
    desk: MailDesk, relay: RelayPeer
) -> None:
    _ticket_id, row, return_path = _sent_reply(desk, relay)
    forged = return_path.replace(return_path.split("-")[-1].split("@")[0], "0" * 12)
    human = mail(sender="eve@example.net", to=forged, subject="Hello").as_bytes()
    outcome = _deliver(desk, human, forged, "eve@example.net")
    assert outcome.status == "delivered"  # a mail like any other, not a report
    assert [r.status for r in desk.outbox() if r.id == row.id] == ["sent"]


def test_an_auto_submitted_answer_is_recorded_without_reopening(
    desk: MailDesk, relay: RelayPeer
) -> None:
    ticket_id, row, return_path = _sent_reply(desk, relay)
    with desk.services.store.write() as uow:
        tickets.set_status(uow, desk.tenant.actor, ticket_id, Status.SOLVED)
    vacation = mail(
        subject="Out of office: Re: Printer on fire",
        body="I am away until Monday.",
        In_Reply_To=row.email_message_id,
        Auto_Submitted="auto-replied",
    ).as_bytes()
    # Vacation responders answer the return path (RFC 3834): an answer, not a report.
    outcome = _deliver(desk, vacation, return_path, CUSTOMER)
    assert (outcome.status, outcome.ticket_id) == ("delivered", ticket_id)
    (ticket,) = desk.tickets()
    assert ticket.status == "solved"
    assert desk.messages(ticket_id)[-1].body_text == "I am away until Monday."
    assert [r.status for r in desk.outbox() if r.id == row.id] == ["sent"]
