"""Opening tickets, adding messages and the lifecycle, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.tickets import NewMessage, NewTicket, taxonomy
from frontdesk.core.tickets.records import MessageKind, Priority, Status
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket, reply


def test_open_ticket_numbers_per_account_and_records_requester(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    first = open_ticket(tenant, requester_email="Ann@Example.ORG")
    second = open_ticket(tenant)
    elsewhere = open_ticket(other_tenant)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.status is Status.NEW
    assert first.created == first.updated == first.latest_activity
    with tenant.services.store.read() as uow:
        contact = uow.contacts.get_contact(tenant.id, first.requester_id or 0)
        thread = tickets.load_thread(uow, tenant.actor, first.id)
    assert contact is not None and contact.email == "Ann@example.org"
    assert [m.body_text for m in thread.messages] == ["Hello"]
    assert thread.messages[0].from_email == "Ann@example.org"
    assert thread.messages[0].body_html == "<p>Hello</p>"


def test_html_is_sanitised_and_text_derived(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        opened = tickets.open_ticket(
            uow,
            tenant.actor,
            NewTicket(
                subject="x",
                requester_email=tenant.address("c"),
                message=NewMessage(
                    body_html='<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>'
                ),
            ),
        )
    assert "script" not in opened.message.body_html and "onclick" not in opened.message.body_html
    assert "<b>there</b>" in opened.message.body_html
    assert opened.message.body_text == "Hi there"


def test_empty_subject_or_body_is_refused_and_nothing_written(tenant: Tenant) -> None:
    for subject, body in (("  ", "text"), ("subject", "   ")):
        with pytest.raises(Invalid), tenant.services.store.write() as uow:
            tickets.open_ticket(
                uow, tenant.actor, NewTicket(subject=subject, message=NewMessage(body_text=body))
            )
    with tenant.services.store.read() as uow:
        assert uow.tickets.count_tickets(tenant.id) == 0


def test_append_to_open_joins_the_senders_open_ticket_in_that_inbox(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        other = accounts.create_inbox(uow, tenant.actor, "Info", tenant.address("info"))
    sender = tenant.address("sender")

    def send(inbox_id: int, append: bool = True) -> tickets.Opened:
        with tenant.services.store.write() as uow:
            return tickets.open_ticket(
                uow,
                tenant.actor,
                NewTicket(
                    subject="Again",
                    message=NewMessage(body_text="more"),
                    requester_email=sender,
                    inbox_id=inbox_id,
                    append_to_open=append,
                    labels=("late",),
                ),
            )

    first = send(inbox.id)
    second = send(inbox.id)
    assert second.appended and second.ticket.id == first.ticket.id
    assert send(other.id).ticket.id != first.ticket.id
    assert send(inbox.id, append=False).ticket.id != first.ticket.id
    with tenant.services.store.write() as uow:
        tickets.set_status(uow, tenant.actor, first.ticket.id, Status.SOLVED)
    assert send(inbox.id).ticket.id != first.ticket.id
    with tenant.services.store.read() as uow:
        assert len(uow.tickets.list_messages(first.ticket.id)) == 3  # two mails and the status log


def test_status_follows_who_wrote(tenant: Tenant) -> None:
    agent = add_agent(tenant)
    ticket = open_ticket(tenant)
    reply(tenant, ticket.id, "customer again")
    assert _status(tenant, ticket.id) is Status.NEW
    reply(tenant, ticket.id, "agent answer", agent_id=agent.id)
    assert _status(tenant, ticket.id) is Status.PENDING
    reply(tenant, ticket.id, "customer answers")
    assert _status(tenant, ticket.id) is Status.REPLY
    with tenant.services.store.write() as uow:
        note = NewMessage(body_text="note", kind=MessageKind.INTERNAL, agent_id=agent.id)
        tickets.add_message(uow, tenant.actor, ticket.id, note)
        current = tickets.get_ticket(uow, tenant.actor, ticket.id)
    assert current.status is Status.REPLY
    assert current.client_last_replied is not None


def _status(tenant: Tenant, ticket_id: int) -> Status:
    with tenant.services.store.read() as uow:
        return tickets.get_ticket(uow, tenant.actor, ticket_id).status


def test_set_status_logs_with_reason_and_bumps_activity(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    pinned = update(t.tickets).where(t.tickets.c.id == ticket.id)
    with tenant.services.store.engine.begin() as conn:  # old stamps, to see the change move them
        conn.execute(pinned.values(updated=1000, latest_activity=1000))
    with tenant.services.store.write() as uow:
        updated = tickets.set_status(
            uow, tenant.actor, ticket.id, Status.CLOSED, reason="duplicate"
        )
        same = tickets.set_status(uow, tenant.actor, ticket.id, Status.CLOSED)
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
        history = uow.events.list_events(tenant.id, ticket.id)
        stored = uow.tickets.get_ticket(tenant.id, ticket.id)
    assert updated.status is Status.CLOSED and same.updated == updated.updated
    assert updated.latest_activity == updated.updated >= ticket.created
    assert stored is not None and stored.latest_activity == updated.latest_activity
    logs = [m.body_text for m in thread.messages if m.kind is MessageKind.LOG]
    assert logs == ["Status changed from new to closed. Reason: duplicate"]
    assert [kind for kind, _, _ in history].count("ticket.status_changed") == 1
    # the event keeps what changed and who changed it, not only that something did
    changed = [(actor, data) for kind, actor, data in history if kind == "ticket.status_changed"]
    assert changed == [
        (tenant.actor.label, {"before": "new", "after": "closed", "reason": "duplicate"})
    ]


def test_force_closed_ticket_refuses_customer_reopen_and_replies(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        closed = tickets.set_status(uow, tenant.actor, ticket.id, Status.CLOSED, force=True)
    assert closed.force_closed
    customer = tenant.actor.__class__(
        account_id=tenant.id, label="customer", contact_id=ticket.requester_id
    )
    with pytest.raises(Conflict) as refused, tenant.services.store.write() as uow:
        tickets.set_status(uow, customer, ticket.id, Status.NEW)
    assert refused.value.code == "force_closed"
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        tickets.add_message(uow, customer, ticket.id, NewMessage(body_text="let me in"))
    with tenant.services.store.write() as uow:
        reopened = tickets.set_status(uow, tenant.actor, ticket.id, Status.REPLY)
    assert reopened.status is Status.REPLY and not reopened.force_closed


def test_assign_labels_tags_fields_notes_priority_and_links(tenant: Tenant) -> None:
    first, second = add_agent(tenant, "First"), add_agent(tenant, "Second")
    ticket = open_ticket(tenant)
    other = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        taxonomy.create_named(uow, tenant.actor, "custom_field", "Order number")
        tickets.assign(uow, tenant.actor, ticket.id, [second.id, first.id, first.id])
        tickets.set_labels(uow, tenant.actor, ticket.id, [" vip ", "refund", "vip"])
        tickets.set_tags(uow, tenant.actor, ticket.id, ["web"])
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Order number": "12345"})
        tickets.set_notes(uow, tenant.actor, ticket.id, "call back")
        tickets.set_priority(uow, tenant.actor, ticket.id, Priority.HIGH)
        tickets.link(uow, tenant.actor, ticket.id, other.id)
        details = uow.tickets.ticket_details([ticket.id, other.id])
        current = tickets.get_ticket(uow, tenant.actor, ticket.id)
    assert details[ticket.id].assignee_ids == tuple(sorted((first.id, second.id)))
    assert details[ticket.id].labels == ("refund", "vip")
    assert details[ticket.id].tags == ("web",)
    assert details[ticket.id].custom_fields == (("Order number", "12345"),)
    assert details[ticket.id].linked_ids == (other.id,)
    assert details[other.id].linked_ids == (ticket.id,)
    assert current.notes == "call back" and current.priority is Priority.HIGH
    with tenant.services.store.write() as uow:
        tickets.assign(uow, tenant.actor, ticket.id, [])
        assert uow.tickets.ticket_details([ticket.id])[ticket.id].assignee_ids == ()


def test_unknown_custom_field_and_foreign_agent_are_refused(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    ticket = open_ticket(tenant)
    stranger = add_agent(other_tenant, "Stranger")
    with pytest.raises(Invalid), tenant.services.store.write() as uow:
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Nope": "1"})
    with pytest.raises(NotFound), tenant.services.store.write() as uow:
        tickets.assign(uow, tenant.actor, ticket.id, [stranger.id])
    with tenant.services.store.read() as uow:
        assert uow.tickets.ticket_details([ticket.id])[ticket.id].assignee_ids == ()


def test_archive_and_unarchive(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        archived = tickets.archive(uow, tenant.actor, ticket.id)
        again = tickets.archive(uow, tenant.actor, ticket.id)
        restored = tickets.unarchive(uow, tenant.actor, ticket.id)
    assert archived.archived_at is not None and again.archived_at == archived.archived_at
    assert restored.archived_at is None


def test_every_ticket_operation_is_invisible_across_accounts(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = open_ticket(other_tenant)
    mine = open_ticket(tenant)
    operations = [
        lambda uow: tickets.get_ticket(uow, tenant.actor, theirs.id),
        lambda uow: tickets.get_ticket_by_uuid(uow, tenant.actor, theirs.uuid),
        lambda uow: tickets.add_message(uow, tenant.actor, theirs.id, NewMessage(body_text="x")),
        lambda uow: tickets.set_status(uow, tenant.actor, theirs.id, Status.CLOSED),
        lambda uow: tickets.set_labels(uow, tenant.actor, theirs.id, ["x"]),
        lambda uow: tickets.archive(uow, tenant.actor, theirs.id),
        lambda uow: tickets.link(uow, tenant.actor, mine.id, theirs.id),
    ]
    for operation in operations:
        with pytest.raises(NotFound), tenant.services.store.write() as uow:
            operation(uow)
    with other_tenant.services.store.read() as uow:
        assert tickets.get_ticket(uow, other_tenant.actor, theirs.id).status is Status.NEW
        assert uow.tickets.ticket_details([theirs.id])[theirs.id].labels == ()


def test_customer_sees_only_their_own_tickets(tenant: Tenant) -> None:
    mine = open_ticket(tenant, requester_email=tenant.address("me"))
    theirs = open_ticket(tenant, requester_email=tenant.address("them"))
    me = tenant.actor.__class__(
        account_id=tenant.id, label="customer", contact_id=mine.requester_id
    )
    with tenant.services.store.read() as uow:
        assert tickets.get_ticket(uow, me, mine.id).id == mine.id
        with pytest.raises(NotFound):
            tickets.get_ticket(uow, me, theirs.id)
