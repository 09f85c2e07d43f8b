"""Issue 19: "Send and set pending / solved" is a status change like any other, and so
is every status change a message causes (a customer's reply reopening, an agent's reply
setting pending, a ticket opened with a status) and a merge closing its source.

The ticket page's reply buttons go through `replies.post` with a status; the change must
record one `ticket.status_changed` event (and its log line), so that triggers, webhooks,
reports and CSAT see it. Both databases.
"""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.mail import replies
from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Match, RuleKind
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import NewMessage, threads
from frontdesk.core.tickets.records import MessageKind, Status
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket, reply, status_changes


def send(tenant: Tenant, ticket_id: int, text: str, then: Status | None) -> None:
    with tenant.services.store.write() as uow:
        replies.post(uow, tenant.actor, ticket_id, replies.TeamMessage(text, status=then))


def test_send_and_set_solved_records_one_status_change(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    send(tenant, ticket.id, "Fixed, thanks for waiting.", Status.SOLVED)
    assert status_changes(tenant, ticket.id) == [("new", "solved")]
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
    assert thread.ticket.status is Status.SOLVED
    kinds = [(m.kind, m.body_text) for m in thread.messages]
    # The reply first, then the change it asked for, as the thread shows them.
    assert kinds[-2] == (MessageKind.EXTERNAL, "Fixed, thanks for waiting.")
    assert kinds[-1] == (MessageKind.LOG, "Status changed from new to solved")


def test_send_and_set_pending_records_it_once(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    send(tenant, ticket.id, "Could you send the invoice number?", Status.PENDING)
    assert status_changes(tenant, ticket.id) == [("new", "pending")]
    send(tenant, ticket.id, "Still waiting for it.", Status.PENDING)  # already pending
    assert status_changes(tenant, ticket.id) == [("new", "pending")]


def test_a_trigger_on_status_changed_fires_on_send_and_set_solved(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        fields = RuleFields(
            "Tag solved",
            Match.ALL,
            (
                Condition("event", "is", "ticket.status_changed"),
                Condition("status", "is", "solved"),
            ),
            (Action("add_tags", ("solved-by-reply",)),),
        )
        define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)
    ticket = open_ticket(tenant)
    send(tenant, ticket.id, "Done.", Status.SOLVED)
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
        fired = [
            data["rule"]
            for kind, _actor, data in uow.events.list_events(tenant.id, ticket.id)
            if kind == "rule.fired"
        ]
    assert thread.details.tags == ("solved-by-reply",)
    assert fired == ["Tag solved"]


# -- status changes a message causes (issue 19): the same event, once, with from and to ----


def as_customer(tenant: Tenant, ticket_id: int) -> Actor:
    with tenant.services.store.read() as uow:
        ticket = uow.tickets.get_ticket(tenant.id, ticket_id)
    assert ticket is not None and ticket.requester_id is not None
    return Actor(tenant.id, "customer", frozenset({Scope.TICKETS_WRITE}),
                 contact_id=ticket.requester_id)  # fmt: skip


def customer_writes(tenant: Tenant, ticket_id: int, text: str = "It broke again.") -> None:
    with tenant.services.store.write() as uow:
        tickets.add_message(
            uow, as_customer(tenant, ticket_id), ticket_id, NewMessage(body_text=text)
        )


def set_status(tenant: Tenant, ticket_id: int, status: Status) -> None:
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket_id, status)


def status_data(tenant: Tenant, ticket_id: int) -> list[dict[str, object]]:
    with tenant.services.store.read() as uow:
        return [data for kind, _actor, data in uow.events.list_events(tenant.id, ticket_id)
                if kind == "ticket.status_changed"]  # fmt: skip


@pytest.mark.parametrize("closed", [Status.SOLVED, Status.CLOSED, Status.PENDING])
def test_a_customer_reply_that_reopens_records_the_change_once(
    tenant: Tenant, closed: Status
) -> None:
    ticket = open_ticket(tenant)
    set_status(tenant, ticket.id, closed)
    customer_writes(tenant, ticket.id)
    assert status_changes(tenant, ticket.id) == [("new", closed.value), (closed.value, "reply")]
    reopening = status_data(tenant, ticket.id)[-1]
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
    assert thread.ticket.status is Status.REPLY
    # The event names the message that moved the ticket; the message is the thread's line,
    # so no separate "Status changed" log line is written for it.
    assert reopening["message_id"] == thread.messages[-1].id
    assert thread.messages[-1].kind is MessageKind.EXTERNAL
    customer_writes(tenant, ticket.id, "Any news?")  # already awaiting an agent: no change
    assert len(status_changes(tenant, ticket.id)) == 2


def test_an_agent_reply_sets_pending_with_its_event_and_clears_a_force_close(
    tenant: Tenant,
) -> None:
    agent = add_agent(tenant, "Maja")
    ticket = open_ticket(tenant)
    reply(tenant, ticket.id, "Could you restart it?", agent_id=agent.id)
    assert status_changes(tenant, ticket.id) == [("new", "pending")]
    reply(tenant, ticket.id, "And then?", agent_id=agent.id)  # pending already
    assert status_changes(tenant, ticket.id) == [("new", "pending")]
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, ticket.id, Status.CLOSED, force=True)
    reply(tenant, ticket.id, "One more thing.", agent_id=agent.id)
    with tenant.services.store.read() as uow:
        now = uow.tickets.get_ticket(tenant.id, ticket.id)
    assert now is not None and now.status is Status.PENDING
    assert not now.force_closed  # a pending ticket the customer may answer again
    assert status_changes(tenant, ticket.id)[-1] == ("closed", "pending")


def test_an_internal_note_changes_no_status_and_records_none(tenant: Tenant) -> None:
    agent = add_agent(tenant, "Maja")
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        note = NewMessage(body_text="Checking", kind=MessageKind.INTERNAL, agent_id=agent.id)
        tickets.add_message(uow, tenant.actor, ticket.id, note)
    assert status_changes(tenant, ticket.id) == []


def test_a_ticket_opened_with_a_status_records_the_move_from_new(tenant: Tenant) -> None:
    ticket = open_ticket(tenant, status=Status.SOLVED)  # an import, or v3's closed ticket
    assert status_changes(tenant, ticket.id) == [("new", "solved")]
    plain = open_ticket(tenant, subject="Other")
    assert status_changes(tenant, plain.id) == []


def test_a_trigger_on_status_changed_fires_on_a_customer_reopening(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        fields = RuleFields(
            "Reopened",
            Match.ALL,
            (
                Condition("event", "is", "ticket.status_changed"),
                Condition("status", "is", "reply"),
            ),
            (Action("add_labels", ("reopened",)),),
        )
        define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)
    ticket = open_ticket(tenant)
    set_status(tenant, ticket.id, Status.SOLVED)
    customer_writes(tenant, ticket.id)
    with tenant.services.store.read() as uow:
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
        fired = [data["rule"] for kind, _actor, data in uow.events.list_events(tenant.id, ticket.id)
                 if kind == "rule.fired"]  # fmt: skip
    assert thread.details.labels == ("reopened",)
    assert fired == ["Reopened"]


def test_a_merge_records_the_source_closing(tenant: Tenant) -> None:
    source = open_ticket(tenant, subject="First")
    target = open_ticket(tenant, subject="Second")
    with tenant.services.store.write() as uow:
        threads.merge(uow, tenant.actor, source.id, target.id)
    assert status_data(tenant, source.id) == [
        {"before": "new", "after": "closed", "reason": "merged"}
    ]
    assert status_changes(tenant, target.id) == []
