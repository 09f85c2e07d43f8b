"""Debian's Postfix in front of and behind Frontdesk, where the MTA's behaviour is the
point: the bounce a real Postfix generates fails the reply it reports on, and the
docs/mail.md recipe refuses an unknown recipient at RCPT (no backscatter), where the old
recipe accepted it and bounced Frontdesk's 550 to a possibly forged sender.

Layout: Frontdesk's listener on a free port; a "far" SMTP server (aiosmtpd) standing in
for the rest of the internet at far.test, refusing local parts that start with `reject`;
a private Postfix relaying example.com (the inboxes) to the listener and far.test to far.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.tickets import NewMessage
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services
from tests.mail.conftest import (
    MailDesk,
    RelayPeer,
    drain,
    free_port,
    mail,
    mail_services,
    smtp_send,
    worker_for,
)
from tests.mail.postfix import Postfix, wait_for

FAR = "far.test"
VERIFY_MAP = "verify_domains"


@pytest.fixture
def far(relay: RelayPeer) -> RelayPeer:
    """The rest of the internet: the mail tests' relay peer, reached through Postfix."""
    return relay


@pytest.fixture
def front(services: Services) -> Iterator[MailRuntime]:
    own = mail_services(services, smtp_port=free_port())
    running = MailRuntime(own, outbox=False, imap=False).start()
    yield running
    running.stop()


def _postfix(front: MailRuntime, far: RelayPeer, **settings: str) -> Postfix:
    hops = {
        "example.com": f"smtp:[127.0.0.1]:{front.smtp_port}",
        FAR: f"smtp:[127.0.0.1]:{far.port}",
    }
    return Postfix(hops, settings)


@pytest.fixture
def relaying(front: MailRuntime, far: RelayPeer) -> Iterator[Postfix]:
    """Postfix as the outgoing relay (and the way bounces come back)."""
    postfix = _postfix(front, far).start()
    yield postfix
    postfix.stop()


def test_a_bounce_postfix_generates_fails_the_reply_on_its_ticket(
    desk: MailDesk, relaying: Postfix
) -> None:
    customer = f"reject-me@{FAR}"
    raw = mail(sender=customer, to=desk.sales.email).as_bytes()  # Sales: no auto reply
    (opened,) = desk.inbound.deliver(raw, [desk.sales.email], source=SMTP)
    ticket_id = opened.ticket_id
    assert ticket_id is not None
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        message = tickets.add_message(
            uow, actor, ticket_id, NewMessage(body_text="Fixed.", agent_id=desk.agent(uow).id)
        )
        row_id = outbox.queue_reply(
            uow, actor, tickets.get_ticket(uow, actor, ticket_id), message, to=(customer,)
        )
    drain(worker_for(desk.services, relaying))
    # Postfix took it (our relay said 250), then far.test refused it: Postfix bounces it
    # to the VERP return path, which its transport sends to Frontdesk's listener.
    assert wait_for(lambda: _status(desk, row_id) == "failed"), relaying.log()
    (row,) = [r for r in desk.outbox() if r.id == row_id]
    assert "550 5.1.1" in row.last_error and customer in row.last_error
    assert any(
        line.startswith(f"E-mail to {customer} bounced") for line in desk.log_lines(ticket_id)
    )
    assert [t.id for t in desk.tickets()] == [ticket_id]  # the bounce made no ticket
    bounce = desk.receipts()[-1]
    assert (bounce.status, bounce.ticket_id, bounce.envelope_from) == ("bounce", ticket_id, None)
    assert "status=bounced" in relaying.log()


def _status(desk: MailDesk, row_id: int) -> str:
    return next(r.status for r in desk.outbox() if r.id == row_id)


def test_the_old_recipe_accepts_an_unknown_recipient_and_bounces_to_the_sender(
    desk: MailDesk, front: MailRuntime, far: RelayPeer
) -> None:
    """Why the recipe changed: the backscatter it made, shown by the real thing."""
    postfix = _postfix(front, far).start()
    try:
        forged = f"victim@{FAR}"
        smtp_send(
            postfix.port,
            mail(sender=forged, to="nobody@example.com"),
            forged,
            ["nobody@example.com"],
        )
        assert wait_for(lambda: far.to(forged, "MAILER-DAEMON")), postfix.log()
    finally:
        postfix.stop()


def test_the_recipe_refuses_an_unknown_recipient_at_rcpt_and_bounces_nothing(
    desk: MailDesk, front: MailRuntime, far: RelayPeer
) -> None:
    # The docs/mail.md recipe, as an operator writes it (texthash: no postmap needed here).
    recipe = {
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "smtpd_recipient_restrictions": "check_recipient_access texthash:{verify}",
        "unverified_recipient_reject_code": "550",
    }
    postfix = _postfix(front, far, **recipe)
    verify = postfix.config / VERIFY_MAP
    verify.write_text("example.com reject_unverified_recipient\n")
    (postfix.config / "main.cf").write_text(
        (postfix.config / "main.cf").read_text().replace("{verify}", str(verify))
    )
    postfix.start()
    try:
        forged = f"victim@{FAR}"
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp_send(postfix.port, mail(sender=forged), forged, ["nobody@example.com"])
        ((code, text),) = refused.value.recipients.values()
        assert code == 550 and b"undeliverable address" in text.lower()
        # A known inbox passes the same check and becomes a ticket.
        smtp_send(
            postfix.port, mail(to=desk.support.email), "ann@example.org", [desk.support.email]
        )
        assert wait_for(lambda: len(desk.tickets()) == 1), postfix.log()
        assert postfix.queue_is_empty()
        # Nothing went back to the (forged) sender, and Postfix bounced nothing.
        assert far.to(forged, "MAILER-DAEMON") == [] and "status=bounced" not in postfix.log()
    finally:
        postfix.stop()
