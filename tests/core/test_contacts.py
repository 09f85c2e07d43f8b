"""Contacts: found or created by address, blanks filled in, never overwritten or shared."""

from __future__ import annotations

import time
from typing import Any

import pytest

from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.contacts.records import Contact
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from tests.conftest import Tenant
from tests.core.helpers import recorded


def _find_or_create(tenant: Tenant, fields: ContactFields) -> Contact:
    with tenant.services.store.write() as uow:
        return contacts.find_or_create_contact(uow, tenant.actor, fields)


def test_a_contact_is_created_once_per_address_and_its_blanks_filled_later(
    tenant: Tenant,
) -> None:
    address = tenant.address("Ann").replace("example.com", "Example.COM")
    before = time.time_ns() // 1_000_000
    first = _find_or_create(tenant, ContactFields(email=f"  {address} ", name="Ann"))
    assert first.email == address.replace("Example.COM", "example.com")
    assert (first.account_id, first.name, first.phone, first.company) == (
        tenant.id,
        "Ann",
        None,
        None,
    )
    assert first.created >= before
    again = _find_or_create(
        tenant,
        ContactFields(
            email=first.email, name="Not Ann", phone="+46 1", company="Acme", external_id="crm-7"
        ),
    )
    assert again.id == first.id
    # a known value is kept; what was blank is filled in
    assert (again.name, again.phone, again.company) == ("Ann", "+46 1", "Acme")
    with tenant.services.store.read() as uow:
        stored = contacts.get_contact(uow, tenant.actor, first.id)
    assert (stored.name, stored.phone, stored.company, stored.created) == (
        "Ann",
        "+46 1",
        "Acme",
        first.created,
    )
    # nothing to fill in: the same row comes back unchanged
    assert _find_or_create(tenant, ContactFields(email=first.email)) == stored


def test_a_bad_text_in_a_contact_field_is_refused_by_its_name(tenant: Tenant) -> None:
    email = tenant.address("bad")
    for field in ("name", "phone", "company", "external_id"):
        with pytest.raises(Invalid) as raised:
            _find_or_create(tenant, ContactFields(email=email, **{field: "a\x00b"}))
        assert (raised.value.code, raised.value.field) == ("invalid_text", field)
    with tenant.services.store.read() as uow:
        assert uow.contacts.find_contact_by_email(tenant.id, email) is None


def test_another_accounts_contact_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    mine = _find_or_create(tenant, ContactFields(email=tenant.address("mine")))
    with tenant.services.store.read() as uow:
        assert contacts.find_contact(uow, tenant.id, mine.id) == mine
        assert contacts.find_contact(uow, other_tenant.id, mine.id) is None
        with pytest.raises(NotFound) as raised:
            contacts.get_contact(uow, other_tenant.actor, mine.id)
    assert raised.value.code == "contact_not_found"
    assert raised.value.message == f"No contact {mine.id}"


def test_contacts_are_listed_in_id_order_after_a_cursor(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    made = [_find_or_create(tenant, ContactFields(email=tenant.address(f"c{i}"))) for i in range(3)]
    _find_or_create(other_tenant, ContactFields(email=other_tenant.address("theirs")))
    with tenant.services.store.read() as uow:
        page = contacts.list_contacts(uow, tenant.actor, after_id=0, limit=2)
        rest = contacts.list_contacts(uow, tenant.actor, after_id=page[-1].id, limit=2)
    assert [c.id for c in page] == [made[0].id, made[1].id]
    assert [c.id for c in rest] == [made[2].id]


class _StaleLookups:
    """The real repository, except that its first `stale` lookups by address miss: what a
    writer sees when another one commits the same address between its lookup and its INSERT.
    (SQLite serialises writers, so the race itself only happens on PostgreSQL, and there not
    on demand; this plays its interleaving on both databases, every time.)"""

    def __init__(self, real: Any, stale: int) -> None:
        self.real = real
        self.stale = stale

    def find_contact_by_email(self, account_id: int, email: str) -> Contact | None:
        if self.stale:
            self.stale -= 1
            return None
        return self.real.find_contact_by_email(account_id, email)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _RacingUnit:
    def __init__(self, uow: Any, stale: int) -> None:
        self.uow = uow
        self.contacts = _StaleLookups(uow.contacts, stale)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.uow, name)


def test_a_writer_that_loses_the_race_for_an_address_gets_the_winners_row(tenant: Tenant) -> None:
    email = tenant.address("raced")
    won = _find_or_create(tenant, ContactFields(email=email, name="Winner"))
    with tenant.services.store.write() as uow:
        lost = contacts.find_or_create_contact(
            _RacingUnit(uow, stale=1), tenant.actor, ContactFields(email=email, phone="+46 2")
        )
    assert lost.id == won.id
    assert (lost.email, lost.name, lost.phone) == (email, "Winner", "+46 2")  # blanks filled
    with tenant.services.store.read() as uow:
        assert uow.contacts.find_contact_by_email(tenant.id, email) == lost


def test_a_row_that_vanishes_after_the_insert_yielded_is_a_conflict(tenant: Tenant) -> None:
    email = tenant.address("vanished")
    _find_or_create(tenant, ContactFields(email=email))
    with pytest.raises(Conflict) as raised, tenant.services.store.write() as uow:
        contacts.find_or_create_contact(
            _RacingUnit(uow, stale=2), tenant.actor, ContactFields(email=email)
        )
    assert raised.value.code == "contact_conflict"
    assert raised.value.message == "The contact changed meanwhile; try again"


def test_a_new_contact_and_each_change_are_recorded_with_its_id_and_fields(
    tenant: Tenant,
) -> None:
    # kills find_or_create_contact's and update_contact's events.record mutants: the
    # contact's id dropped or None, the changed fields dropped or None
    made = _find_or_create(tenant, ContactFields(email=tenant.address("rec"), name="Rec"))
    with tenant.services.store.write() as uow:
        changes = contacts.ContactChanges(phone="+46 2", company="Acme", email=None)
        contacts.update_contact(uow, tenant.actor, made.id, changes)
    created = [data for _actor, data in recorded(tenant, "contact.created")]
    updated = [data for _actor, data in recorded(tenant, "contact.updated")]
    assert [data.get("contact_id") for data in created] == [made.id]
    assert [(data.get("contact_id"), data.get("fields")) for data in updated] == [
        (made.id, ["company", "phone"])
    ]


def test_an_update_refuses_a_taken_address_and_bad_text_by_field(tenant: Tenant) -> None:
    # kills update_contact's Conflict message and field mutants and check_text(value, None)
    ann = _find_or_create(tenant, ContactFields(email=tenant.address("ann")))
    bob = _find_or_create(tenant, ContactFields(email=tenant.address("bob")))
    with pytest.raises(Conflict) as taken, tenant.services.store.write() as uow:
        contacts.update_contact(uow, tenant.actor, bob.id, contacts.ContactChanges(email=ann.email))
    assert (taken.value.code, taken.value.message, taken.value.field) == (
        "contact_exists",
        "Another contact has this address: merge them",
        "email",
    )
    for field in ("name", "phone", "company", "external_id"):
        changes = contacts.ContactChanges(**{field: "bad\x00"})
        with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
            contacts.update_contact(uow, tenant.actor, bob.id, changes)
        assert (refused.value.code, refused.value.field) == ("invalid_text", field)
    assert recorded(tenant, "contact.updated") == []


def _search(tenant: Tenant, text: str, *, after_id: int = 0, limit: int = 50) -> list[Contact]:
    with tenant.services.store.read() as uow:
        return contacts.search_contacts(uow, tenant.actor, text, after_id=after_id, limit=limit)


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_a_search_is_1_to_200_characters(tenant: Tenant, text: str) -> None:
    # kills search_contacts' bound (`>=` for `>`) and its Invalid's message and field mutants
    with pytest.raises(Invalid) as refused:
        _search(tenant, text)
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "invalid_search",
        "q is 1 to 200 characters",
        "q",
    )


def test_a_search_of_200_characters_is_taken_and_its_limit_and_cursor_kept(
    tenant: Tenant,
) -> None:
    # kills search_contacts' limit=None and check_text(text, <another name>)
    assert _search(tenant, "x" * 200) == []
    found = [
        _find_or_create(tenant, ContactFields(email=tenant.address(f"zed{i}"), name="Zed"))
        for i in range(3)
    ]
    assert [c.id for c in _search(tenant, "zed", limit=2)] == [found[0].id, found[1].id]
    assert [c.id for c in _search(tenant, "zed", after_id=found[1].id)] == [found[2].id]
    with pytest.raises(Invalid) as refused:
        _search(tenant, "zed\x00")
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "invalid_text",
        "q contains a NUL character",
        "q",
    )
