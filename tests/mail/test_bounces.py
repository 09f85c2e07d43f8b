"""Bounces are matched to the outbox row they report on and never become tickets.

A corpus of report shapes written for these tests (RFC 3464 DSNs as Postfix, Exchange and
Gmail send them, qmail's "failure notice", Exim's "Mail delivery failed", a delay notice,
a success notice), delivered through the inbound pipeline; the real-Postfix round trip is
in test_postfix.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from frontdesk.core import tickets
from frontdesk.core.identity import sessions
from frontdesk.core.identity.accounts import AgentFields, create_agent
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import bounces, outbox
from frontdesk.core.notify import inbox, mails
from frontdesk.core.notify.records import Kind, Preferences
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.tickets import NewMessage
from frontdesk.core.tickets.records import Status
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.tokens import BounceTokens
from frontdesk.storage import tables as t
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for
from tests.web.helpers import PASSWORD, signed_in

CUSTOMER = "ann@example.org"


def _sent_reply(
    desk: MailDesk, relay: RelayPeer, author: Agent | None = None
) -> tuple[int, Any, str]:
    """A ticket whose agent reply went out: (ticket id, its outbox row, the return path).
    The reply is the `author`'s (by default the tenant's agent Agnes, through its key)."""
    ticket_id, row_id = _queued_reply(desk, author, CUSTOMER)
    drain(worker_for(desk.services, relay))
    (row,) = [r for r in desk.outbox() if r.id == row_id]
    assert row.status == "sent"
    (sent,) = [r for r in relay.received if r.message["Message-ID"] == row.email_message_id]
    return ticket_id, row, sent.mail_from


def _queued_reply(desk: MailDesk, author: Agent | None, to: str) -> tuple[int, int]:
    raw = mail(to=desk.support.email, Message_ID="<q1@example.org>").as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    ticket_id = outcome.ticket_id
    assert ticket_id is not None
    actor = sessions.agent_actor(author) if author else desk.tenant.actor
    with desk.services.store.write() as uow:
        agent_id = (author or desk.agent(uow)).id
        message = tickets.add_message(
            uow, actor, ticket_id, NewMessage(body_text="Try this.", agent_id=agent_id)
        )
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        row_id = outbox.queue_reply(uow, actor, ticket, message, to=(to,))
    return ticket_id, row_id


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


# -- who is told of a reply that failed (issue 16's "and notify") ---------------------------


@dataclass
class Crew:
    maja: Agent  # wrote the reply
    bo: Agent  # works in every inbox
    cy: Agent  # works in sales only


@pytest.fixture
def crew(desk: MailDesk) -> Crew:
    """Three agents on the default preferences (a failed reply: bell and mail, at once)."""
    with desk.services.store.write() as uow:
        return Crew(*(
            create_agent(uow, desk.tenant.actor, AgentFields(
                name=name, email=desk.tenant.address(local), inbox_ids=inboxes,
                password=PASSWORD))
            for name, local, inboxes in (
                ("Maja", "maja", ()), ("Bo", "bo", ()), ("Cy", "cy", (desk.sales.id,)))
        ))  # fmt: skip


def _assign(desk: MailDesk, ticket_id: int, *agents: Agent) -> None:
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, ticket_id, [agent.id for agent in agents])


def _told(desk: MailDesk, agent: Agent) -> list[tuple[int | None, str | None]]:
    """The failed-mail notifications under the agent's bell: (ticket id, what they quote)."""
    with desk.services.store.read() as uow:
        shown = inbox.notifications_of(uow, desk.tenant.actor, agent.id, before_id=None,
                                       limit=100)  # fmt: skip
    return [(item.notification.ticket_id, item.detail) for item in shown
            if item.notification.kind is Kind.MAIL_FAILED]  # fmt: skip


def _mailed(desk: MailDesk, relay: RelayPeer, agent: Agent) -> list[EmailMessage]:
    """The failed-mail notification mails that reached the agent at the relay."""
    subject = f"[Frontdesk] {mails.what(Kind.MAIL_FAILED)}: "
    return [item.message for item in relay.to(agent.email, desk.support.email)
            if str(item.message["Subject"]).startswith(subject)]  # fmt: skip


def _heard(desk: MailDesk, relay: RelayPeer, agent: Agent) -> tuple[list[int | None], int]:
    """The tickets of the agent's failed-mail notifications, and how many mails told them."""
    return [ticket for ticket, _said in _told(desk, agent)], len(_mailed(desk, relay, agent))


def _bounce(desk: MailDesk, relay: RelayPeer, return_path: str) -> None:
    """The DSN reaches the reply's VERP return path; then the outbox sends what it made."""
    assert _deliver(desk, _dsn("<unrelated@elsewhere.test>"), return_path).status == "bounce"
    drain(worker_for(desk.services, relay))


REASON = f"{CUSTOMER}: 550 5.1.1 <{CUSTOMER}>: Recipient address rejected: User unknown"


def test_a_bounced_reply_tells_its_assignee_by_bell_and_mail(
    desk: MailDesk, relay: RelayPeer, crew: Crew, client: TestClient
) -> None:
    ticket_id, _row, return_path = _sent_reply(desk, relay, crew.maja)
    _assign(desk, ticket_id, crew.maja)
    assert _told(desk, crew.maja) == []  # the reply left: nothing to tell yet
    _bounce(desk, relay, return_path)
    said = f"E-mail to {CUSTOMER} bounced: {REASON}"
    assert _told(desk, crew.maja) == [(ticket_id, said)]
    assert _told(desk, crew.bo) == []  # assigned to Maja: only she hears
    (message,) = _mailed(desk, relay, crew.maja)
    number = desk.tickets()[-1].number
    assert str(message["Subject"]).endswith(f": #{number} Printer on fire")
    body = message.get_content().replace("\r\n", "\n")
    assert f"The ticket says:\n\n{said}\n" in body
    assert f"/tickets/{ticket_id}" in body and "turn these mails off" in body
    # The API's list of her notifications quotes the same line.
    got = client.get(f"/api/v1/agents/{crew.maja.id}/notifications",
                     headers=desk.tenant.headers())  # fmt: skip
    assert [item["detail"] for item in got.json()["notifications"]
            if item["kind"] == "mail_failed"] == [said]  # fmt: skip
    # And so does the bell's list in the web app.
    page = signed_in(client.app, crew.maja.email).get("/notifications")
    assert page.status_code == 200
    assert f"{mails.what(Kind.MAIL_FAILED)} · {escape(said)}" in page.text


def test_with_the_kind_off_the_agent_hears_nothing_of_it(
    desk: MailDesk, relay: RelayPeer, crew: Crew
) -> None:
    without = frozenset(Kind) - {Kind.MAIL_FAILED}
    with desk.services.store.write() as uow:
        inbox.set_preferences(uow, desk.tenant.actor, crew.maja.id,
                              Preferences(web=without, email=without))  # fmt: skip
    ticket_id, _row, return_path = _sent_reply(desk, relay, crew.maja)
    _assign(desk, ticket_id, crew.maja, crew.bo)
    _bounce(desk, relay, return_path)
    assert _heard(desk, relay, crew.maja) == ([], 0)
    # Bo, assigned too and on the defaults, is told: the bounce did make a notification.
    assert _heard(desk, relay, crew.bo) == ([ticket_id], 1)


def test_the_agent_who_acted_in_the_reports_transaction_is_not_told(
    desk: MailDesk, relay: RelayPeer, crew: Crew
) -> None:
    # No transport files a report inside an agent's request today; the rule is derive's,
    # as for the SLA: whoever acted on the ticket in the transaction that recorded the
    # failure is not told of it. Here Maja assigns herself and Bo as the report is filed.
    ticket_id, row, _path = _sent_reply(desk, relay, crew.maja)
    with desk.services.store.write() as uow:
        tickets.assign(uow, sessions.agent_actor(crew.maja), ticket_id,
                       [crew.maja.id, crew.bo.id])  # fmt: skip
        found = uow.mail.get_outbox(desk.tenant.id, row.id)
        assert found is not None
        bounces.report(uow, desk.tenant.actor, found, "failed", "550 User unknown", now_ms())
    drain(worker_for(desk.services, relay))
    assert _heard(desk, relay, crew.maja) == ([], 0)
    assert _heard(desk, relay, crew.bo) == ([ticket_id], 1)


def test_an_unassigned_ticket_tells_the_agents_of_its_inbox(
    desk: MailDesk, relay: RelayPeer, crew: Crew
) -> None:
    ticket_id, _row, return_path = _sent_reply(desk, relay, crew.maja)
    _bounce(desk, relay, return_path)
    for agent in (crew.maja, crew.bo):  # both work in every inbox, the support one too
        assert _heard(desk, relay, agent) == ([ticket_id], 1), agent.name
    assert _heard(desk, relay, crew.cy) == ([], 0)  # he works in sales only


def test_a_refused_reply_tells_but_a_refused_notification_tells_nobody(
    desk: MailDesk, relay: RelayPeer, crew: Crew
) -> None:
    # The relay refuses the reply (550): the same notification as for a bounce. Zed, also
    # assigned, has an address the relay refuses too: his notification's own failure is
    # said on the ticket but must not notify again (it could fail in turn, for ever).
    with desk.services.store.write() as uow:
        zed_fields = AgentFields(name="Zed", email=desk.tenant.address("reject-zed"))
        zed = create_agent(uow, desk.tenant.actor, zed_fields)
    ticket_id, _row_id = _queued_reply(desk, crew.maja, "reject-dee@example.org")
    _assign(desk, ticket_id, crew.maja, zed)
    drain(worker_for(desk.services, relay))
    said = "E-mail to reject-dee@example.org could not be delivered: "
    [(ticket, quoted)] = _told(desk, crew.maja)  # of the reply only, not of Zed's mails
    assert ticket == ticket_id and quoted is not None and quoted.startswith(said)
    assert "No such user" in quoted
    assert len(_mailed(desk, relay, crew.maja)) == 1
    failed = [r for r in desk.outbox() if r.status == "failed"]
    kinds = sorted(r.kind for r in failed)
    assert kinds == ["agent_reply", "notification", "notification"]  # his two, unsent
    assert [r.to_addr for r in failed if r.kind == "notification"] == [zed.email] * 2


def test_an_outcome_unknown_reply_tells_its_assignee_too(
    desk: MailDesk, relay: RelayPeer, crew: Crew
) -> None:
    ticket_id, row_id = _queued_reply(desk, crew.maja, CUSTOMER)
    _assign(desk, ticket_id, crew.bo)
    with desk.services.store.write() as uow:  # as the worker does when DATA got no answer
        uow.conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(
            status="sending", attempts=1))  # fmt: skip
        claimed = uow.mail.get_outbox(desk.tenant.id, row_id)
        assert claimed is not None
        assert outbox.mail_unknown(uow, claimed, "SMTPReadTimeoutError after DATA", now_ms())
    [(ticket, quoted)] = _told(desk, crew.bo)
    assert ticket == ticket_id and quoted is not None
    assert quoted.startswith(f"E-mail to {CUSTOMER}: outcome unknown")
    assert _told(desk, crew.maja) == []  # not assigned
