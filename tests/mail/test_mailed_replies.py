"""A mailed reply keeps its sender (the inbox address, the agent's name), and ImBox lists
it among the mails only once it left: queued or failed mail is not listed as sent."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.tickets import NewMessage
from frontdesk.mail.inbound import SMTP
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for


def _ticket(desk: MailDesk) -> int:
    raw = mail(to=desk.support.email).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def _reply(desk: MailDesk, ticket_id: int, to: str, text: str) -> None:
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        agent = desk.agent(uow, "Agnes Berg")
        message = tickets.add_message(
            uow, actor, ticket_id, NewMessage(body_text=text, agent_id=agent.id)
        )
        ticket = tickets.get_ticket(uow, actor, ticket_id)
        outbox.queue_reply(uow, actor, ticket, message, to=(to,))


def _emails(desk: MailDesk, client: TestClient) -> list[dict[str, Any]]:
    response = client.get(
        f"/message/listTicketsEmails/{desk.tenant.admin_key}/{desk.tenant.id}",
        params={"startTime": "2000-01-01", "endTime": "2100-01-01"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["json"])


def _senders(desk: MailDesk, client: TestClient) -> list[tuple[str, str | None, list[str]]]:
    return [
        (row["from"]["address"], row["from"].get("name"), [a["address"] for a in row["to"]])
        for row in _emails(desk, client)
    ]


def test_a_reply_is_listed_as_the_inbox_and_agent_only_once_sent(
    desk: MailDesk, relay: RelayPeer, client: TestClient
) -> None:
    ticket_id = _ticket(desk)
    _reply(desk, ticket_id, "ann@example.org", "On it.")
    support = desk.support.email
    customer = ("ann@example.org", "Ann Lee", [support])
    # Neither the auto reply nor the agent's reply has left yet: only the customer's mail.
    assert _senders(desk, client) == [customer]
    grabbed = client.get(
        f"/message/grabTicket/{desk.tenant.admin_key}/{desk.tenant.id}/{ticket_id}"
    )
    mine = [m for m in grabbed.json()["json"] if m["messagePlain"] == "On it."]
    assert [(m["from"], m["fromName"]) for m in mine] == [(support, "Agnes Berg")]
    drain(worker_for(desk.services, relay))
    assert sorted(_senders(desk, client)) == [
        customer,
        (support, "Agnes Berg", ["ann@example.org"]),
        (support, "Support", ["ann@example.org"]),  # the auto reply
    ]
    # The agent's reply shows who answered, for which inbox; the auto reply the inbox.
    sent = relay.to("ann@example.org", support)
    assert sorted(item.message["From"] for item in sent) == [
        f'"Agnes Berg (Support)" <{support}>',
        f"Support <{support}>",
    ]


def test_a_failed_reply_is_not_listed(desk: MailDesk, relay: RelayPeer, client: TestClient) -> None:
    ticket_id = _ticket(desk)
    _reply(desk, ticket_id, "reject-me@example.org", "Bounced.")
    drain(worker_for(desk.services, relay))
    statuses = {row.to_addr: row.status for row in desk.outbox()}
    agnes = desk.tenant.address("agnes")  # told that her reply failed (a notification)
    assert statuses == {
        "ann@example.org": "sent",
        "reject-me@example.org": "failed",
        agnes: "sent",
    }
    listed = _senders(desk, client)
    assert [to for _address, _name, to in listed] == [[desk.support.email], ["ann@example.org"]]
