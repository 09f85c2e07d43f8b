"""Reply to all: a customer who wrote with colleagues in Cc gets the team's reply with
them in Cc by default; the writer's own choice wins; our inboxes are never added."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from frontdesk.core.mail import replies
from frontdesk.mail.inbound import SMTP
from tests.mail.conftest import MailDesk, mail


def _customer_mail(desk: MailDesk) -> int:
    """Ann writes to Support with two colleagues, our Sales inbox and a plus address of
    Support in To / Cc, as a client's reply-all would."""
    raw = mail(
        to=f"Support <{desk.support.email}>, Bo <bo@example.org>",
        Cc=f"carol@example.org, {desk.sales.email}, "
        f"{desk.support.email.replace('@', '+7-0a1b2c3d@')}, ANN@example.org",
    ).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def _post(desk: MailDesk, client: TestClient, ticket_id: int, **body: Any) -> Any:
    url, headers = desk.inboxops(ticket_id)
    answer = client.post(
        f"{url}/messages", json={"body": "On it.", "sendEmail": True, **body}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return [row for row in desk.outbox() if row.kind == "agent_reply"][-1]


def test_a_reply_goes_to_the_customers_colleagues_by_default(
    desk: MailDesk, client: TestClient
) -> None:
    ticket_id = _customer_mail(desk)
    with desk.services.store.read() as uow:
        ticket = uow.tickets.get_ticket(desk.tenant.id, ticket_id)
        assert ticket is not None
        default = replies.reply_all_cc(uow, desk.tenant.actor, ticket)
    # Never the requester (in To already) nor an inbox of ours, plus addresses included.
    assert default == ("bo@example.org", "carol@example.org")
    row = _post(desk, client, ticket_id)  # InboxOps: no ccAddresses given
    assert (row.to_addrs, row.cc_addrs) == ("ann@example.org", "bo@example.org\ncarol@example.org")


def test_the_writers_own_cc_wins(desk: MailDesk, client: TestClient) -> None:
    ticket_id = _customer_mail(desk)
    assert _post(desk, client, ticket_id, ccAddresses=[]).cc_addrs == ""
    chosen = _post(desk, client, ticket_id, ccAddresses=["dan@example.org"])
    assert chosen.cc_addrs == "dan@example.org"


def test_no_colleagues_no_cc(desk: MailDesk, client: TestClient) -> None:
    raw = mail(to=desk.support.email).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    assert _post(desk, client, outcome.ticket_id).cc_addrs == ""
