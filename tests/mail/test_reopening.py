"""Issue 19: mail that reopens a ticket is a status change like any other.

A customer's answer by mail to a solved ticket moves it back to `reply` and records the
same `ticket.status_changed` event an agent's explicit change records (triggers, SLA
clocks, reports and the audit log read that event); an automatic answer (an out-of-office)
changes nothing and records nothing. Through the real inbound pipeline, both databases.
"""

from __future__ import annotations

from typing import Any

from frontdesk.core import tickets
from frontdesk.core.tickets.records import Status
from frontdesk.mail.inbound import SMTP
from tests.mail.conftest import MailDesk, mail


def _deliver(desk: MailDesk, **headers: Any) -> int:
    raw = mail(to=desk.support.email, **headers).as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return int(outcome.ticket_id)


def _changes(desk: MailDesk, ticket_id: int) -> list[dict[str, Any]]:
    with desk.services.store.read() as uow:
        return [data for kind, _actor, data in uow.events.list_events(desk.tenant.id, ticket_id)
                if kind == "ticket.status_changed"]  # fmt: skip


def _solved(desk: MailDesk) -> int:
    ticket_id = _deliver(desk, Message_ID="<first@example.org>")
    with desk.services.store.write() as uow:
        tickets.set_status(uow, desk.tenant.actor, ticket_id, Status.SOLVED)
    return ticket_id


def test_a_mailed_answer_to_a_solved_ticket_reopens_it_with_its_event(desk: MailDesk) -> None:
    ticket_id = _solved(desk)
    again = _deliver(desk, subject="Re: Printer on fire", In_Reply_To="<first@example.org>",
                     Message_ID="<second@example.org>")  # fmt: skip
    assert again == ticket_id
    (ticket,) = desk.tickets()
    assert ticket.status == "reply"
    answer = desk.messages(ticket_id)[-1]
    assert answer.email_message_id == "<second@example.org>"
    assert [(c["before"], c["after"]) for c in _changes(desk, ticket_id)] == [
        ("new", "solved"), ("solved", "reply")
    ]  # fmt: skip
    assert _changes(desk, ticket_id)[-1]["message_id"] == answer.id


def test_an_out_of_office_answer_records_no_status_change(desk: MailDesk) -> None:
    ticket_id = _solved(desk)
    _deliver(desk, subject="Out of office", In_Reply_To="<first@example.org>",
             Auto_Submitted="auto-replied")  # fmt: skip
    assert desk.tickets()[0].status == "solved"
    assert [c["after"] for c in _changes(desk, ticket_id)] == ["solved"]
