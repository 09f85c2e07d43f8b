"""Forged senders, over real SMTP sessions to the listener.

The issue's reproduction: a mail with `From: victim@example.org`, sent by another server,
was appended to the victim's open ticket as the victim's words. What the receiving side
knows (the envelope sender, the operator's MTA's Authentication-Results) now decides
whether a From address is believed; a mail that is not is kept, marked, and never joins a
ticket by its address alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.identity import credentials
from frontdesk.mail.runtime import MailRuntime
from frontdesk.mail.tokens import TicketTokens
from tests.mail.conftest import AUTHSERV, MailDesk, mail, smtp_send

VICTIM = "victim@example.org"


def _send(listener: MailRuntime, desk: MailDesk, envelope: str, **message: Any) -> None:
    assert listener.smtp_port is not None
    body = mail(sender=f"Vic Tim <{VICTIM}>", to=desk.support.email, **message)
    smtp_send(listener.smtp_port, body, envelope, [desk.support.email])


def _victims_ticket(listener: MailRuntime, desk: MailDesk) -> Any:
    _send(listener, desk, VICTIM, subject="My order", body="Where is it?")
    (ticket,) = desk.tickets()
    assert [m.unverified for m in desk.messages(ticket.id)] == [False]
    return ticket


def test_a_forged_from_never_joins_the_victims_open_ticket(
    listener: MailRuntime, desk: MailDesk, client: TestClient
) -> None:
    ticket = _victims_ticket(listener, desk)
    _send(listener, desk, "attacker@evil.test", subject="My order", body="Refund to IBAN X")
    tickets = desk.tickets()
    assert len(tickets) == 2  # a ticket of its own, not appended
    assert [m.body_text for m in desk.messages(ticket.id) if m.kind == "external"] == [
        "Where is it?"
    ]
    (forged,) = desk.messages(tickets[1].id)
    assert (forged.from_email, forged.unverified, forged.body_text) == (
        VICTIM,
        True,
        "Refund to IBAN X",
    )
    (receipt,) = [r for r in desk.receipts() if r.ticket_id == tickets[1].id]
    assert (receipt.status, receipt.envelope_from) == ("delivered", "attacker@evil.test")
    # Only the victim's real mail got an auto reply: the forged one would go to the victim.
    assert [row.to_addr for row in desk.outbox()] == [VICTIM]
    assert desk.log_lines(tickets[1].id) == [
        "No auto reply: the sender could not be verified (it would go to whoever was impersonated)"
    ]
    _every_view_marks_it(desk, client, tickets[1].id, forged.uuid)


def _every_view_marks_it(desk: MailDesk, client: TestClient, ticket_id: int, uuid: str) -> None:
    tenant = desk.tenant
    native = client.get(f"/api/v1/tickets/{ticket_id}", headers=tenant.headers()).json()
    # Beside the message, a log line says why it got no auto reply (asserted above).
    assert [m["unverified"] for m in native["messages"] if m["kind"] != "log"] == [True]
    url, headers = desk.inboxops(ticket_id)
    ops = client.get(url, headers=headers).json()
    assert [(m["id"], m["unverifiedSender"]) for m in ops["messages"] if m["id"] == uuid] == [
        (uuid, True)
    ]
    grabbed = client.get(f"/message/grabTicket/{tenant.admin_key}/{tenant.id}/{ticket_id}").json()
    assert [m["unverifiedSender"] for m in grabbed["json"] if m["messageType"] != "log"] == [True]
    emails = client.get(
        f"/message/listTicketsEmails/{tenant.admin_key}/{tenant.id}",
        params={"startTime": "2000-01-01", "endTime": "2100-01-01"},
    ).json()
    assert [e.get("unverifiedSender", False) for e in emails["json"]] == [False, True]
    with desk.services.store.write() as uow:
        ticket = uow.tickets.get_ticket(tenant.id, ticket_id)
        assert ticket is not None and ticket.requester_id is not None
        token = credentials.issue_customer_token(uow, tenant.actor, ticket.requester_id).token
    portal = client.get(f"/v3/tickets/{ticket_id}", headers={"PRIVATE-TOKEN": token}).json()
    assert [r["unverifiedSender"] for r in portal["replies"]] == [True]


def test_a_null_envelope_sender_vouches_for_nobody(listener: MailRuntime, desk: MailDesk) -> None:
    _victims_ticket(listener, desk)
    _send(listener, desk, "", subject="My order", body="bounced?")
    tickets = desk.tickets()
    assert len(tickets) == 2
    assert [m.unverified for m in desk.messages(tickets[1].id)] == [True]


def test_an_unverified_mail_follows_only_signed_references(
    listener: MailRuntime, desk: MailDesk
) -> None:
    ticket = _victims_ticket(listener, desk)
    first = desk.messages(ticket.id)[0]
    # Message-IDs are no secret: a forged reply naming one still opens its own ticket.
    _send(listener, desk, "attacker@evil.test", subject="Re", In_Reply_To=first.email_message_id)
    assert len(desk.tickets()) == 2
    # The signed subject tag is followed, and the message is marked.
    tag = TicketTokens(desk.services.settings.secret_key).tag(desk.tenant.id, ticket.number)
    _send(listener, desk, "attacker@evil.test", subject=f"Re: My order {tag}", body="tagged")
    assert len(desk.tickets()) == 2
    last = desk.messages(ticket.id)[-1]
    assert (last.body_text, last.unverified) == ("tagged", True)


AR = "Authentication-Results"


@pytest.mark.parametrize(
    ("envelope", "results", "verified"),
    [
        # A sender through a mailing service: envelope elsewhere, signed by From's domain.
        ("bounce-7@esp.test", [f"{AUTHSERV}; dkim=pass header.d=example.org"], True),
        (
            "bounce-7@esp.test",
            [f"{AUTHSERV} 1; spf=none; dmarc=pass (p=reject) header.from=example.org"],
            True,
        ),
        # Results under another authserv-id are the sender's own words: ignored.
        ("bounce-7@esp.test", ["mx.evil.test; dkim=pass header.d=example.org; dmarc=pass"], False),
        # A signature of another domain vouches for that domain, not for From's.
        ("bounce-7@esp.test", [f"{AUTHSERV}; dkim=pass header.d=esp.test"], False),
        # DMARC failed at our MTA: not believed even with an aligned envelope.
        (VICTIM, [f"{AUTHSERV}; dmarc=fail (p=none) header.from=example.org"], False),
        (VICTIM, [f"{AUTHSERV}; spf=fail smtp.mailfrom=victim@example.org"], False),
        # Undecided results: the aligned envelope decides.
        (VICTIM, [f"{AUTHSERV}; dkim=none; spf=neutral smtp.mailfrom=example.org"], True),
    ],
)
def test_authentication_results_of_the_operators_mta_decide(
    listener: MailRuntime, desk: MailDesk, envelope: str, results: list[str], verified: bool
) -> None:
    ticket = _victims_ticket(listener, desk)
    assert listener.smtp_port is not None
    message = mail(sender=VICTIM, to=desk.support.email, subject="My order", body="again")
    for value in results:
        message[AR] = value
    smtp_send(listener.smtp_port, message, envelope, [desk.support.email])
    joined = len(desk.tickets()) == 1
    assert joined is verified
    newest = max((m for t in desk.tickets() for m in desk.messages(t.id)), key=lambda m: m.id)
    assert (newest.body_text, newest.unverified) == ("again", not verified)
    assert ticket.id in {t.id for t in desk.tickets()}
