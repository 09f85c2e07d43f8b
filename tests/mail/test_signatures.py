"""An inbox's signature under an agent's reply: filled in, in both parts of the mail that
reaches the relay, and not in the message the ticket keeps."""

from __future__ import annotations

from frontdesk.core import tickets
from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.mail import replies
from frontdesk.core.mail.replies import TeamMessage
from frontdesk.core.tickets import NewMessage, NewTicket
from tests.mail.conftest import MailDesk, RelayPeer, drain, worker_for

CUSTOMER = "cora@example.org"
SIGNATURE = "Kind regards,\n{agent_name}\n{inbox_name} <support & care>"


def _reply(desk: MailDesk, body: str, *, html: str | None = None) -> int:
    """An agent's reply to a new ticket of the support inbox, through the core; the
    ticket's id."""
    with desk.services.store.write() as uow:
        agent = accounts.create_agent(
            uow,
            desk.tenant.actor,
            AgentFields(name="Agnes Berg", email=desk.tenant.address(f"agnes{len(body)}")),
        )
        new = NewTicket(
            subject="Printer on fire",
            message=NewMessage(body_text="It smokes"),
            requester_email=CUSTOMER,
            inbox_id=desk.support.id,
        )
        ticket = tickets.open_ticket(uow, desk.tenant.actor, new).ticket
        actor = sessions.agent_actor(agent)
        message = TeamMessage(body, body_html=html, send_email=True)
        replies.post(uow, actor, ticket.id, message)
    return ticket.id


def _sign(desk: MailDesk, text: str) -> None:
    with desk.services.store.write() as uow:
        accounts.update_inbox(uow, desk.tenant.actor, desk.support.id, signature=text)


def test_the_mail_carries_the_signature_filled_in_and_the_thread_does_not(
    desk: MailDesk, relay: RelayPeer
) -> None:
    _sign(desk, SIGNATURE)
    ticket_id = _reply(desk, "Unplug it.")
    drain(worker_for(desk.services, relay))
    (received,) = [
        item
        for item in relay.to(CUSTOMER, desk.support.email)
        if "Unplug it." in item.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ]
    text = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.replace("\r\n", "\n").rstrip("\n") == (
        "Unplug it.\n\n-- \nKind regards,\nAgnes Berg\nSupport <support & care>"
    )
    html = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<p>-- <br>Kind regards,<br>Agnes Berg<br>Support &lt;support &amp; care&gt;</p>" in html
    stored = [m for m in desk.messages(ticket_id) if m.body_text.startswith("Unplug")]
    assert [m.body_text for m in stored] == ["Unplug it."]  # the thread shows what was written
    assert "Kind regards" not in stored[0].body_html


def test_without_a_signature_the_mail_is_the_message(desk: MailDesk, relay: RelayPeer) -> None:
    _sign(desk, SIGNATURE)
    _sign(desk, "")  # emptied: none
    _reply(desk, "Try water, then call us.")
    (row,) = [r for r in desk.outbox() if r.body.startswith("Try water")]
    assert row.body == "Try water, then call us."
    assert "--" not in row.body_html


def test_a_signature_changed_later_does_not_change_mail_already_queued(desk: MailDesk) -> None:
    _sign(desk, "Old: {agent_name}")
    _reply(desk, "First answer.")
    _sign(desk, "New: {inbox_name}")
    _reply(desk, "Second answer!")
    bodies = {r.body.split("\n")[0]: r.body for r in desk.outbox() if "answer" in r.body}
    assert bodies["First answer."].endswith("-- \nOld: Agnes Berg")
    assert bodies["Second answer!"].endswith("-- \nNew: Support")
