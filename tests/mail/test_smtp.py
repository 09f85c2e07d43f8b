"""Real mail over SMTP (smtplib) to the running listener: tickets, threading, refusals."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.identity import accounts
from frontdesk.core.shared.records import Scope
from frontdesk.mail.runtime import MailRuntime
from frontdesk.mail.tokens import TicketTokens
from tests.conftest import Tenant
from tests.mail.conftest import MailDesk, mail, smtp_send


def _send(
    runtime: MailRuntime, message: object, to: list[str], sender: str = "ann@example.org"
) -> None:
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, message, sender, to)  # type: ignore[arg-type]


def test_a_mail_becomes_a_ticket_before_the_250(runtime: MailRuntime, desk: MailDesk) -> None:
    message = mail(
        to=f"Support <{desk.support.email}>",
        Cc="Bo <bo@example.org>",
        Message_ID="<first-1@example.org>",
    )
    _send(runtime, message, [desk.support.email])
    # sendmail() has returned: the 250 came, so the ticket is committed already.
    (ticket,) = desk.tickets()
    assert ticket.subject == "Printer on fire" and ticket.inbox_id == desk.support.id
    (first,) = desk.messages(ticket.id)
    assert (first.from_email, first.from_name) == ("ann@example.org", "Ann Lee")
    assert first.to_addrs == desk.support.email and first.cc_addrs == "bo@example.org"
    assert first.email_message_id == "<first-1@example.org>"
    assert first.body_text == "It is on fire."
    (receipt,) = desk.receipts()
    assert (receipt.status, receipt.source, receipt.ticket_id) == ("delivered", "smtp", ticket.id)
    raw = desk.services.blobs.open(receipt.raw_sha256)
    assert b"It is on fire." in raw and b"first-1@example.org" in raw
    (reply,) = desk.outbox()
    assert (reply.kind, reply.to_addr, reply.in_reply_to) == (
        "auto_reply",
        "ann@example.org",
        "<first-1@example.org>",
    )


def test_unknown_recipients_get_550_and_known_ones_their_mail(
    runtime: MailRuntime, desk: MailDesk, tenant: Tenant
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(runtime, mail(), [tenant.address("nobody")])
    assert next(iter(refused.value.recipients.values()))[0] == 550
    _send(runtime, mail(), [tenant.address("nobody"), desk.sales.email])
    (ticket,) = desk.tickets()
    assert ticket.inbox_id == desk.sales.id


def test_oversize_mail_gets_552_and_leaves_nothing(runtime: MailRuntime, desk: MailDesk) -> None:
    big = mail(to=desk.support.email, body="x" * 300_000)
    with pytest.raises(smtplib.SMTPResponseException) as too_big:
        _send(runtime, big, [desk.support.email])
    assert too_big.value.smtp_code == 552
    assert desk.tickets() == [] and desk.receipts() == []


def test_replies_thread_by_headers_tag_and_plus_address(
    runtime: MailRuntime, desk: MailDesk
) -> None:
    to = [desk.support.email]
    _send(runtime, mail(Message_ID="<t-1@example.org>"), to)
    (ticket,) = desk.tickets()
    with desk.services.store.write() as uow:  # the agent closed it: replies reopen it
        from frontdesk.core import tickets
        from frontdesk.core.tickets.records import Status

        tickets.set_status(uow, desk.tenant.actor, ticket.id, Status.SOLVED)
    # By In-Reply-To, whatever the subject says.
    _send(runtime, mail(subject="other words", In_Reply_To="<t-1@example.org>"), to)
    # By References alone, from someone else copied in.
    _send(
        runtime,
        mail(sender="bo@example.org", subject="x", References="<zz@x.org> <t-1@example.org>"),
        to,
        sender="bo@example.org",
    )
    tokens = TicketTokens(desk.services.settings.secret_key)
    tag = tokens.tag(desk.tenant.id, ticket.number)
    # By the subject's tag, from a new address (no threading headers at all).
    _send(runtime, mail(sender="cy@example.org", subject=f"Re: hi {tag}"), to, "cy@example.org")
    # By a plus address.
    local, domain = desk.support.email.split("@")
    plus = f"{local}+{tokens.token(desk.tenant.id, ticket.number)}@{domain}"
    _send(runtime, mail(sender="dee@example.org", to=plus), [plus], "dee@example.org")
    assert len(desk.tickets()) == 1
    senders = [row.from_email for row in desk.messages(ticket.id) if row.kind == "external"]
    assert senders == [
        "ann@example.org",
        "ann@example.org",
        "bo@example.org",
        "cy@example.org",
        "dee@example.org",
    ]
    assert desk.tickets()[0].status == "reply"


def test_forged_or_foreign_tags_open_new_tickets(
    runtime: MailRuntime, desk: MailDesk, other_tenant: Tenant
) -> None:
    to = [desk.support.email]
    _send(runtime, mail(), to)
    (ticket,) = desk.tickets()
    tokens = TicketTokens(desk.services.settings.secret_key)
    foreign = tokens.tag(other_tenant.id, ticket.number)  # right number, other account
    forged = f"[#{ticket.number}-deadbeef]"
    _send(runtime, mail(sender="eve@example.org", subject=f"hi {foreign}"), to, "eve@example.org")
    _send(runtime, mail(sender="mal@example.org", subject=f"hi {forged}"), to, "mal@example.org")
    assert len(desk.tickets()) == 3
    assert desk.tickets()[1].subject == "hi"  # a foreign tag does not stay in the subject


def test_a_mail_delivered_twice_is_one_message(runtime: MailRuntime, desk: MailDesk) -> None:
    message = mail(Message_ID=make_msgid(domain="example.org"))
    _send(runtime, message, [desk.support.email])
    _send(runtime, message, [desk.support.email, desk.sales.email])
    (ticket,) = desk.tickets()
    assert len(desk.messages(ticket.id)) == 1 and len(desk.receipts()) == 1


def test_the_senders_next_mail_joins_the_open_ticket(runtime: MailRuntime, desk: MailDesk) -> None:
    _send(runtime, mail(subject="one"), [desk.support.email])
    _send(runtime, mail(subject="two"), [desk.support.email])
    _send(runtime, mail(subject="three"), [desk.sales.email])  # another inbox: its own ticket
    tickets = desk.tickets()
    assert [row.subject for row in tickets] == ["one", "three"]
    assert len(desk.messages(tickets[0].id)) == 2
    assert len(desk.outbox()) == 1  # the appended mail got no second auto reply


def test_one_mail_to_two_accounts_makes_a_ticket_in_each(
    runtime: MailRuntime, desk: MailDesk, other_tenant: Tenant
) -> None:
    with desk.services.store.write() as uow:
        theirs = accounts.create_inbox(
            uow, other_tenant.actor, "Help", other_tenant.address("help")
        )
    _send(runtime, mail(), [desk.support.email, theirs.email])
    assert len(desk.tickets()) == 1
    with desk.services.store.read() as uow:
        assert uow.tickets.count_tickets(other_tenant.id) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List_Id": "<news.example.org>"},
        {"X_Loop": "support@example.com"},
        {"Return_Path": "<>"},
    ],
)
def test_no_auto_reply_to_automatic_mail(
    runtime: MailRuntime, desk: MailDesk, headers: dict[str, str]
) -> None:
    _send(runtime, mail(**headers), [desk.support.email])
    assert len(desk.tickets()) == 1 and desk.outbox() == []


def test_no_auto_reply_to_robots_or_other_inboxes(runtime: MailRuntime, desk: MailDesk) -> None:
    _send(runtime, mail(sender="MAILER-DAEMON@example.org"), [desk.support.email])
    _send(runtime, mail(sender=desk.sales.email), [desk.support.email], desk.sales.email)
    assert len(desk.tickets()) == 2 and desk.outbox() == []


def test_mail_shows_in_imbox_list_tickets_emails(
    runtime: MailRuntime, desk: MailDesk, client: TestClient
) -> None:
    _send(runtime, mail(to=desk.support.email, Cc="bo@example.org"), [desk.support.email])
    key = desk.tenant.key(Scope.TICKETS_READ)
    response = client.get(
        f"/message/listTicketsEmails/{key}/{desk.tenant.id}",
        params={"startTime": "2000-01-01", "endTime": "2100-01-01"},
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["json"]
    assert row["from"] == {"address": "ann@example.org", "name": "Ann Lee"}
    assert row["to"] == [{"address": desk.support.email}]
    assert row["cc"] == [{"address": "bo@example.org"}]
    assert row["inboxName"] == "Support"
