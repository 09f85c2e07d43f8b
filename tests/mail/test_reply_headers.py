"""What an agent's reply carries, through the outbox worker to a real SMTP relay peer:
threading headers that answer the customer, a To with the customer's name, the EHLO name
the operator configured; and the subject a new ticket gets from a mail."""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.tickets import NewMessage
from frontdesk.mail.inbound import SMTP
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for

HOSTNAME = "mx1.support.frontdesk.test"


def _incoming(desk: MailDesk, message_id: str, subject: str = "Printer", **headers: str) -> int:
    raw = mail(to=desk.support.email, subject=subject, Message_ID=message_id, **headers).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def _reply(desk: MailDesk, ticket_id: int, to: tuple[str, ...]) -> None:
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        message = tickets.add_message(uow, actor, ticket_id, NewMessage(body_text="On it."))
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        outbox.queue_reply(uow, actor, ticket, message, to=to)


def test_an_agent_reply_answers_the_customers_mail_not_our_auto_reply(
    desk: MailDesk, relay: RelayPeer
) -> None:
    ticket_id = _incoming(desk, "<first@example.org>")
    worker = worker_for(desk.services, relay, smtp_hostname=HOSTNAME)
    drain(worker)  # the auto reply leaves and is recorded on the ticket with its Message-ID
    (auto,) = desk.outbox()
    assert [m.email_message_id for m in desk.messages(ticket_id)][-1] == auto.email_message_id
    _reply(desk, ticket_id, ("ann@example.org",))
    drain(worker)
    sent = [r for r in relay.to("ann@example.org", desk.support.email) if r.mail_from != "<>"]
    (reply,) = [r.message for r in sent]
    assert reply["In-Reply-To"] == "<first@example.org>"
    # Every earlier mail is named, the parent last (RFC 5322 3.6.4).
    assert reply["References"].split() == [auto.email_message_id, "<first@example.org>"]
    # The customer's name from the mail they wrote; the EHLO name is the configured one.
    assert reply["To"] == "Ann Lee <ann@example.org>"
    assert {r.helo for r in relay.received} == {HOSTNAME}


def test_the_latest_customer_mail_is_the_parent(desk: MailDesk, relay: RelayPeer) -> None:
    ticket_id = _incoming(desk, "<first@example.org>")
    _incoming(desk, "<second@example.org>", In_Reply_To="<first@example.org>")
    _reply(desk, ticket_id, ("ann@example.org", "cy@example.org"))
    drain(worker_for(desk.services, relay))
    (reply,) = [r.message for r in relay.to("cy@example.org", desk.support.email)]
    assert reply["In-Reply-To"] == "<second@example.org>"
    assert reply["References"].split()[-1] == "<second@example.org>"
    # A recipient with no name on file is written as the bare address.
    assert reply["To"] == "Ann Lee <ann@example.org>, cy@example.org"


@pytest.mark.parametrize(
    ("subject", "ticket_subject"),
    [
        ("Re: Printer on fire", "Printer on fire"),
        ("AW: Drucker brennt", "Drucker brennt"),
        ("SV: Skrivaren brinner", "Skrivaren brinner"),
        ("Fwd: RE: Re[2]: fw: Printer", "Printer"),
        ("VS: Antw: WG: VB: Printer", "Printer"),
        ("Reply needed: printer", "Reply needed: printer"),  # a word, not a prefix
        ("TR: printer", "TR: printer"),  # too common a word to be taken as a prefix
        ("Re: ", "(no subject)"),
    ],
)
def test_a_new_ticket_loses_reply_and_forward_prefixes(
    desk: MailDesk, subject: str, ticket_subject: str
) -> None:
    _incoming(desk, "<new@example.org>", subject)
    (ticket,) = desk.tickets()
    assert ticket.subject == ticket_subject
