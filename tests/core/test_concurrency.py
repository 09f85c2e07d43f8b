"""Writers racing on one ticket or one new customer, in real threads on the real database.

Each thread runs its own transaction through the store, as concurrent requests do. On
PostgreSQL a read-modify-write of a ticket that does not lock it lets two writers start
from the same state: one label is lost, or both insert the same row and one fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts import ContactFields
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets import NewMessage, NewTicket, custom_fields, taxonomy
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import FieldType, Ticket
from frontdesk.services import Services
from frontdesk.storage.uow import SqlUnitOfWork
from tests.conftest import Tenant
from tests.core.helpers import open_ticket

WRITERS = 8


def _race(services: Services, work: Callable[[SqlUnitOfWork, int], object]) -> list[str]:
    """Run `work(uow, i)` in WRITERS threads at once, each in its own write transaction;
    the errors they raised, as text."""
    start = threading.Barrier(WRITERS)
    errors: list[str] = []

    def run(number: int) -> None:
        try:
            start.wait(timeout=30)
            with services.store.write() as uow:
                work(uow, number)
        except Exception as exc:  # collected and asserted on by the test
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _details(tenant: Tenant, ticket: Ticket) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with tenant.services.store.read() as uow:
        found = tickets.details_of(uow, ticket)
    return found.labels, found.tags


def test_labels_and_tags_added_at_once_are_all_kept(tenant: Tenant) -> None:
    ticket = open_ticket(tenant, labels=("first",))

    def add(uow: TicketsUnit, number: int) -> None:
        extra = NewTicket(
            subject="more",
            message=NewMessage(body_text=f"also {number}"),
            labels=(f"label-{number}",),
            tags=(f"tag-{number}",),
        )
        tickets.append(uow, tenant.actor, ticket.id, extra)

    assert _race(tenant.services, add) == []
    labels, tags = _details(tenant, ticket)
    assert sorted(labels) == sorted(["first", *(f"label-{n}" for n in range(WRITERS))])
    assert sorted(tags) == sorted(f"tag-{n}" for n in range(WRITERS))
    with tenant.services.store.read() as uow:
        assert len(uow.tickets.list_messages(ticket.id)) == WRITERS + 1


def test_labels_replaced_at_once_end_as_one_writers_whole_set(tenant: Tenant) -> None:
    ticket = open_ticket(tenant, labels=("shared",))

    def replace(uow: TicketsUnit, number: int) -> None:
        tickets.set_labels(uow, tenant.actor, ticket.id, ["shared", f"mine-{number}"])

    assert _race(tenant.services, replace) == []
    labels, _tags = _details(tenant, ticket)
    assert len(labels) == 2 and "shared" in labels  # one writer's set, whole: no mix
    with tenant.services.store.read() as uow:
        after = tickets.get_ticket(uow, tenant.actor, ticket.id)
    assert after.version == ticket.version + WRITERS  # every change counted, none twice


def test_one_custom_field_set_at_once_keeps_one_value(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        taxonomy.create_named(uow, tenant.actor, "custom_field", "Order")
    ticket = open_ticket(tenant)

    def set_field(uow: TicketsUnit, number: int) -> None:
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Order": f"A-{number}"})

    assert _race(tenant.services, set_field) == []
    with tenant.services.store.read() as uow:
        (field,) = tickets.details_of(uow, ticket).custom_fields
    assert field[0] == "Order" and field[1].startswith("A-")


def test_one_new_customer_found_or_created_at_once_is_one_contact(tenant: Tenant) -> None:
    address = tenant.address("newcomer")
    made: list[int] = []

    def find_or_create(uow: TicketsUnit, number: int) -> None:
        fields = ContactFields(email=address, name=f"Writer {number}")
        made.append(contacts.find_or_create_contact(uow, tenant.actor, fields).id)

    assert _race(tenant.services, find_or_create) == []
    assert len(made) == WRITERS and len(set(made)) == 1


def test_tickets_opened_at_once_for_a_new_customer_all_open(tenant: Tenant) -> None:
    address = tenant.address("first-timer")

    def create(uow: TicketsUnit, number: int) -> None:
        new = NewTicket(
            subject=f"Question {number}",
            message=NewMessage(body_text="Hello"),
            requester_email=address,
        )
        tickets.open_ticket(uow, tenant.actor, new)

    assert _race(tenant.services, create) == []
    with tenant.services.store.read() as uow:
        contact = uow.contacts.find_contact_by_email(tenant.id, address)
        assert contact is not None
        assert uow.tickets.count_tickets(tenant.id) == WRITERS


def test_a_category_created_at_once_is_created_once(tenant: Tenant) -> None:
    def create(uow: TicketsUnit, _number: int) -> None:
        taxonomy.create_named(uow, tenant.actor, "category", "Billing")

    errors = _race(tenant.services, create)
    # The losers are told the name exists, as a second create one after the other is.
    assert len(errors) == WRITERS - 1
    assert all(error.startswith("Conflict: A category named 'Billing' exists") for error in errors)
    with tenant.services.store.read() as uow:
        assert [n.name for n in taxonomy.list_named(uow, tenant.actor, "category")] == ["Billing"]


def test_a_value_chosen_while_its_option_is_dropped_waits_for_the_drop(tenant: Tenant) -> None:
    """An admin's transaction drops the option "Pro" and is still open when an agent sets
    "Pro" on a ticket: the agent's write waits for the definition (a shared lock on it)
    and is then refused, instead of passing the old definition's check and leaving a
    value the dropdown no longer offers. (Without the lock it commits within the second
    the admin's transaction is held open, and the last assertion fails on PostgreSQL.)"""
    store = tenant.services.store
    with store.write() as uow:
        plan = custom_fields.create_field(
            uow, tenant.actor, "Plan", FieldType.DROPDOWN, ["Basic", "Pro"]
        )
    ticket = open_ticket(tenant)
    dropped, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def drop() -> None:
        with store.write() as uow:
            custom_fields.change_field(uow, tenant.actor, plan.id, options=["Basic"])
            dropped.set()
            release.wait(timeout=30)  # the transaction stays open until the agent tried

    def choose() -> None:
        dropped.wait(timeout=30)
        try:
            with store.write() as uow:
                tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Plan": "Pro"})
            outcome.append("saved")
        except Invalid as refused:
            outcome.append(refused.code)

    admin, agent = threading.Thread(target=drop), threading.Thread(target=choose)
    admin.start()
    agent.start()
    agent.join(timeout=1)  # long enough to commit, were nothing holding it
    release.set()
    admin.join(timeout=30)
    agent.join(timeout=30)
    assert outcome == ["field_not_an_option"]
    with store.read() as uow:
        assert uow.taxonomy.field_values(plan.id) == []
