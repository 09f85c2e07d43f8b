"""Agents answer by e-mail: a ticket's notification mails carry the agent's signed reply
address; mail to it becomes the agent's reply (or a #note), through the real SMTP
listener; forgeries are quarantined."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.mail.agent_replies import AgentReplyTokens
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.mail.conftest import (
    MailDesk,
    Received,
    RelayPeer,
    drain,
    free_port,
    mail,
    mail_services,
    smtp_send,
    worker_for,
)

CUSTOMER = "cora@example.org"


@pytest.fixture
def copying(services: Services) -> Iterator[MailRuntime]:
    """The SMTP listener (the notifications are queued by the core as mail arrives)."""
    own = mail_services(services, smtp_port=free_port())
    running = MailRuntime(own, outbox=False, imap=False).start()
    yield running
    running.stop()


@dataclass
class Setup:
    desk: MailDesk
    agent: Agent
    ticket_id: int
    reply_to: str

    def send(self, runtime: MailRuntime, message: EmailMessage, sender: str) -> None:
        assert runtime.smtp_port is not None
        smtp_send(runtime.smtp_port, message.as_bytes(policy=SMTP), sender, [self.reply_to])


def _agent(desk: MailDesk, name: str = "alva") -> Agent:
    with desk.services.store.write() as uow:
        return accounts.create_agent(
            uow, desk.tenant.actor, AgentFields(name=name.title(), email=desk.tenant.address(name))
        )


def _answer(setup: Setup, body: str, sender: str | None = None) -> EmailMessage:
    return mail(
        sender=sender or setup.agent.email,
        to=setup.reply_to,
        subject="Re: Printer on fire",
        body=body,
    )


def _copies(relay: RelayPeer, agent: Agent, desk: MailDesk) -> list[Received]:
    """The "customer replied" notifications the agent got (being assigned is one too)."""
    return [
        item
        for item in relay.to(agent.email, desk.support.email)
        if "The customer replied" in str(item.message["Subject"])
    ]


@pytest.fixture
def setup(copying: MailRuntime, desk: MailDesk, relay: RelayPeer) -> Setup:
    assert copying.smtp_port is not None
    smtp_send(
        copying.smtp_port,
        mail(sender=CUSTOMER, to=desk.support.email),
        CUSTOMER,
        [desk.support.email],
    )
    (ticket,) = desk.tickets()
    agent = _agent(desk)
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, ticket.id, [agent.id])
    second = mail(sender=CUSTOMER, to=desk.support.email, body="It is still on fire.")
    smtp_send(copying.smtp_port, second, CUSTOMER, [desk.support.email])
    assert [row.id for row in desk.tickets()] == [ticket.id]  # joined the open ticket
    drain(worker_for(desk.services, relay))
    (copy,) = _copies(relay, agent, desk)
    reply_to = str(copy.message["Reply-To"])
    return Setup(desk, agent, ticket.id, reply_to)


def test_the_notification_carries_the_agents_signed_reply_address(
    setup: Setup, relay: RelayPeer
) -> None:
    tokens = AgentReplyTokens(setup.desk.services.settings.secret_key)
    expected = tokens.address(
        setup.desk.support.email, setup.desk.tenant.id, setup.agent.id, setup.ticket_id
    )
    assert setup.reply_to == expected
    assert setup.reply_to.startswith(
        setup.desk.support.email.split("@")[0] + f"+r{setup.agent.id}-"
    )
    (copy,) = _copies(relay, setup.agent, setup.desk)
    text = copy.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "It is still on fire." in text and "#note" in text
    # The customer's words are in it (to answer from the mail alone), the first mail's
    # not: it came before anyone was assigned.
    assert "It is on fire.\n" not in text
    # Every notification about the ticket can be answered: being assigned is one too.
    assigned = [
        item
        for item in relay.to(setup.agent.email, setup.desk.support.email)
        if "Assigned to you" in str(item.message["Subject"])
    ]
    assert [str(item.message["Reply-To"]) for item in assigned] == [expected]


def test_an_answer_becomes_the_agents_reply_mailed_to_the_customer(
    copying: MailRuntime, setup: Setup
) -> None:
    answer = _answer(setup, "We are on our way.\n\nOn Tue, Support wrote:\n> It is still on fire.")
    setup.send(copying, answer, setup.agent.email)
    messages = setup.desk.messages(setup.ticket_id)
    last = messages[-1]
    assert (last.agent_id, last.kind, last.body_text) == (
        setup.agent.id,
        "external",
        "We are on our way.",
    )
    queued = [row for row in setup.desk.outbox() if row.kind == "agent_reply"]
    assert [(row.to_addr, row.message_id) for row in queued] == [(CUSTOMER, last.id)]
    receipt = setup.desk.receipts()[-1]
    assert (receipt.status, receipt.ticket_id, receipt.message_id) == (
        "delivered",
        setup.ticket_id,
        last.id,
    )


def test_an_answer_starting_with_note_becomes_an_internal_note(
    copying: MailRuntime, setup: Setup
) -> None:
    before = len(setup.desk.outbox())
    setup.send(
        copying,
        _answer(setup, "#note The fire brigade is informed.\n\n-- \nAlva"),
        setup.agent.email,
    )
    last = setup.desk.messages(setup.ticket_id)[-1]
    assert (last.agent_id, last.kind, last.body_text) == (
        setup.agent.id,
        "internal",
        "The fire brigade is informed.",
    )
    assert len(setup.desk.outbox()) == before  # a note is never mailed


def _refused(
    copying: MailRuntime, setup: Setup, message: EmailMessage, sender: str, to: str
) -> str:
    before = len(setup.desk.messages(setup.ticket_id))
    tickets_before = len(setup.desk.tickets())
    assert copying.smtp_port is not None
    smtp_send(copying.smtp_port, message.as_bytes(policy=SMTP), sender, [to])
    assert len(setup.desk.messages(setup.ticket_id)) == before
    assert len(setup.desk.tickets()) == tickets_before
    receipt = setup.desk.receipts()[-1]
    assert receipt.status == "quarantined" and receipt.message_id is None
    return str(receipt.error)


def test_a_tampered_address_is_quarantined(copying: MailRuntime, setup: Setup) -> None:
    local, domain = setup.reply_to.split("@")
    flipped = local[:-1] + ("0" if local[-1] != "0" else "1")
    for forged in (
        f"{flipped}@{domain}",  # the signature altered
        local.replace(f"r{setup.agent.id}-", f"r{setup.agent.id + 1}-")
        + f"@{domain}",  # another agent
        local.replace(f"-{setup.ticket_id}-", f"-{setup.ticket_id + 1}-")
        + f"@{domain}",  # another ticket
        f"{local[:-2]}@{domain}",  # shortened
    ):
        error = _refused(copying, setup, _answer(setup, "Close it."), setup.agent.email, forged)
        assert "forged or altered" in error


def test_from_alone_is_never_trusted(copying: MailRuntime, setup: Setup) -> None:
    # The agent's From with no reply address: a customer message like any other, not a reply.
    assert copying.smtp_port is not None
    message = _answer(setup, "Close it.")
    del message["To"]
    message["To"] = setup.desk.support.email
    smtp_send(
        copying.smtp_port,
        message.as_bytes(policy=SMTP),
        setup.agent.email,
        [setup.desk.support.email],
    )
    assert all(row.agent_id is None for row in setup.desk.messages(setup.ticket_id))
    assert "Close it." not in [row.body_text for row in setup.desk.messages(setup.ticket_id)]
    (_, own) = setup.desk.tickets()  # a ticket of its own, as from any customer
    (theirs,) = setup.desk.messages(own.id)
    assert (theirs.from_email, theirs.agent_id, theirs.kind) == (
        setup.agent.email,
        None,
        "external",
    )
    # The right address from someone else's From (a forwarded copy): refused.
    error = _refused(
        copying, setup, _answer(setup, "Close it.", sender=CUSTOMER), CUSTOMER, setup.reply_to
    )
    assert "not the agent's" in error


def test_an_address_of_another_account_is_refused(
    copying: MailRuntime, setup: Setup, other_tenant: Tenant
) -> None:
    with setup.desk.services.store.write() as uow:
        theirs = accounts.create_inbox(
            uow, other_tenant.actor, "Support", other_tenant.address("support")
        )
    tokens = AgentReplyTokens(setup.desk.services.settings.secret_key)
    # Signed right for this account's agent and ticket, but sent to the other account's inbox.
    moved = tokens.address(theirs.email, setup.desk.tenant.id, setup.agent.id, setup.ticket_id)
    assert copying.smtp_port is not None
    smtp_send(
        copying.smtp_port,
        _answer(setup, "Close it.").as_bytes(policy=SMTP),
        setup.agent.email,
        [moved],
    )
    assert "Close it." not in [row.body_text for row in setup.desk.messages(setup.ticket_id)]
    with setup.desk.services.store.read() as uow:
        (receipt,) = uow.mail.list_receipts(other_tenant.id, "quarantined", after_id=0, limit=5)
    assert "forged or altered" in (receipt.error or "")


def test_an_answer_with_nothing_of_its_own_is_refused(copying: MailRuntime, setup: Setup) -> None:
    error = _refused(
        copying, setup, _answer(setup, "On Tue, Support wrote:\n> It is still on fire."),
        setup.agent.email, setup.reply_to,
    )  # fmt: skip
    assert "no text of its own" in error


def test_an_impersonated_agent_from_is_refused(copying: MailRuntime, setup: Setup) -> None:
    # Whoever the copy was forwarded to knows the address; writing the agent's From from
    # a server of their own (the envelope's domain is theirs) does not make them the agent.
    error = _refused(
        copying, setup, _answer(setup, "Refund everything."), "mallory@elsewhere.example",
        setup.reply_to,
    )  # fmt: skip
    assert "not verified" in error
