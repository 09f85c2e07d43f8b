"""Renaming categories, departments and custom fields; the account's labels: listed with
their tickets, added, renamed on every ticket carrying them, removed. Both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import taxonomy
from frontdesk.core.tickets.records import LabelUse
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import open_ticket


def _events(tenant: Tenant, kind: str) -> list[dict[str, object]]:
    with tenant.services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.events.c.actor, t.events.c.data).where(
                t.events.c.account_id == tenant.id, t.events.c.kind == kind
            )
        ).all()
    return [{"actor": actor, **json.loads(data)} for actor, data in rows]


@pytest.mark.parametrize("kind", ["category", "department", "custom_field"])
def test_a_rename_keeps_the_row_and_is_recorded(tenant: Tenant, kind: str) -> None:
    with tenant.services.store.write() as uow:
        first = taxonomy.create_named(uow, tenant.actor, kind, "Billing")
        taxonomy.create_named(uow, tenant.actor, kind, "Sales")
        renamed = taxonomy.rename_named(uow, tenant.actor, kind, first.id, "  Invoices ")
    with tenant.services.store.read() as uow:
        assert [n.name for n in taxonomy.list_named(uow, tenant.actor, kind)] == [
            "Invoices", "Sales"]  # fmt: skip
        assert taxonomy.get_named(uow, tenant.actor, kind, first.id).name == "Invoices"
    assert renamed.id == first.id and renamed.name == "Invoices"
    [event] = _events(tenant, f"{kind}.renamed")
    assert event["previous"] == "Billing" and event["name"] == "Invoices"


def test_a_rename_onto_another_name_or_to_nothing_is_refused(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        billing = taxonomy.create_named(uow, tenant.actor, "category", "Billing")
        taxonomy.create_named(uow, tenant.actor, "category", "Sales")
    with pytest.raises(Conflict) as clash, tenant.services.store.write() as uow:
        taxonomy.rename_named(uow, tenant.actor, "category", billing.id, "sales")
    assert clash.value.code == "category_exists"
    with pytest.raises(Invalid), tenant.services.store.write() as uow:
        taxonomy.rename_named(uow, tenant.actor, "category", billing.id, "   ")
    with tenant.services.store.write() as uow:  # its own name in other letters is fine
        taxonomy.rename_named(uow, tenant.actor, "category", billing.id, "BILLING")
        assert taxonomy.get_named(uow, tenant.actor, "category", billing.id).name == "BILLING"


def test_another_accounts_row_cannot_be_renamed(tenant: Tenant, other_tenant: Tenant) -> None:
    with other_tenant.services.store.write() as uow:
        theirs = taxonomy.create_named(uow, other_tenant.actor, "department", "Theirs")
    with pytest.raises(NotFound), tenant.services.store.write() as uow:
        taxonomy.rename_named(uow, tenant.actor, "department", theirs.id, "Mine")
    with other_tenant.services.store.read() as uow:
        assert taxonomy.get_named(uow, other_tenant.actor, "department", theirs.id).name == "Theirs"


def _labelled(tenant: Tenant, *labels: str) -> int:
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        tickets.set_labels(uow, tenant.actor, ticket.id, labels)
    return ticket.id


def _labels_of(tenant: Tenant, ticket_id: int) -> tuple[str, ...]:
    with tenant.services.store.read() as uow:
        return uow.tickets.ticket_details([ticket_id])[ticket_id].labels


def test_labels_are_listed_with_their_tickets_and_added(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    _labelled(tenant, "vip", "refund")
    _labelled(tenant, "vip")
    _labelled(other_tenant, "vip", "theirs")
    with tenant.services.store.write() as uow:
        assert taxonomy.add_label(uow, tenant.actor, " later ") == "later"
    with tenant.services.store.read() as uow:
        assert taxonomy.list_labels(uow, tenant.actor) == [
            LabelUse("later", 0), LabelUse("refund", 1), LabelUse("vip", 2)]  # fmt: skip
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        taxonomy.add_label(uow, tenant.actor, "vip")
    with pytest.raises(Invalid), tenant.services.store.write() as uow:
        taxonomy.add_label(uow, tenant.actor, "x" * 201)
    assert [e["name"] for e in _events(tenant, "label.created")] == ["later"]


def test_a_label_rename_rewrites_every_ticket_in_the_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    one = _labelled(tenant, "vip", "refund")
    both = _labelled(tenant, "vip", "gold")
    plain = _labelled(tenant, "refund")
    theirs = _labelled(other_tenant, "vip")
    with tenant.services.store.read() as uow:
        before = tickets.get_ticket(uow, tenant.actor, one)
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        taxonomy.rename_label(uow, tenant.actor, "vip", "gold")  # no silent merge
    with tenant.services.store.write() as uow:
        assert taxonomy.rename_label(uow, tenant.actor, "refund", "Refunds") == 2
    assert _labels_of(tenant, one) == ("Refunds", "vip")
    assert _labels_of(tenant, plain) == ("Refunds",)
    assert _labels_of(tenant, both) == ("gold", "vip")
    assert _labels_of(other_tenant, theirs) == ("vip",)
    with tenant.services.store.read() as uow:
        after = tickets.get_ticket(uow, tenant.actor, one)
        names = [use.name for use in taxonomy.list_labels(uow, tenant.actor)]
    assert after.version == before.version + 1 and after.updated >= before.updated
    assert names == ["Refunds", "gold", "vip"]
    [event] = _events(tenant, "label.renamed")
    assert event == {"actor": "test", "name": "Refunds", "previous": "refund", "tickets": 2}


def test_a_label_rename_onto_a_name_only_another_account_uses_is_fine(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = _labelled(tenant, "vip")
    _labelled(other_tenant, "gold")
    with tenant.services.store.write() as uow:
        taxonomy.rename_label(uow, tenant.actor, "vip", "gold")
    assert _labels_of(tenant, mine) == ("gold",)


def test_removing_a_label_takes_it_off_the_tickets_only(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    one = _labelled(tenant, "vip", "refund")
    theirs = _labelled(other_tenant, "vip")
    with tenant.services.store.write() as uow:
        assert taxonomy.remove_label(uow, tenant.actor, "vip") == 1
    assert _labels_of(tenant, one) == ("refund",)
    assert _labels_of(other_tenant, theirs) == ("vip",)
    with tenant.services.store.read() as uow:
        assert taxonomy.list_labels(uow, tenant.actor) == [LabelUse("refund", 1)]
        assert tickets.get_ticket(uow, tenant.actor, one).archived_at is None
    assert _events(tenant, "label.deleted")[0]["tickets"] == 1


def test_labels_only_this_account_has_and_only_admins(tenant: Tenant, other_tenant: Tenant) -> None:
    _labelled(other_tenant, "theirs")
    for change in (
        lambda uow: taxonomy.rename_label(uow, tenant.actor, "theirs", "mine"),
        lambda uow: taxonomy.remove_label(uow, tenant.actor, "theirs"),
    ):
        with pytest.raises(NotFound), tenant.services.store.write() as uow:
            change(uow)
    agent = Actor(account_id=tenant.id, label="agent:1", scopes=frozenset({Scope.TICKETS_WRITE}))
    with pytest.raises(Forbidden), tenant.services.store.write() as uow:
        taxonomy.add_label(uow, agent, "mine")
    with pytest.raises(Forbidden), tenant.services.store.read() as uow:
        taxonomy.list_labels(uow, agent)
    with other_tenant.services.store.read() as uow:
        assert taxonomy.list_labels(uow, other_tenant.actor) == [LabelUse("theirs", 1)]


def test_a_name_taken_by_a_concurrent_writer_is_a_conflict_not_a_crash(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        billing = taxonomy.create_named(uow, tenant.actor, "category", "Billing")
        taxonomy.create_named(uow, tenant.actor, "category", "Sales")
    # What rename_named meets when another writer took the name after its check.
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        uow.taxonomy.rename_named("category", billing.id, "Sales")
    with tenant.services.store.read() as uow:
        assert taxonomy.get_named(uow, tenant.actor, "category", billing.id).name == "Billing"
