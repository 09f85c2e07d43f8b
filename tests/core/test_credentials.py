"""Keys: shown once, stored hashed, scoped, revocable, bound to their account."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, update

from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import credentials
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound, Unauthenticated
from frontdesk.core.shared.records import Scope
from frontdesk.storage import tables
from tests.conftest import Tenant


def test_issued_key_authenticates_with_its_scopes_and_is_stored_hashed(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        issued = credentials.issue_api_key(uow, tenant.actor, "reader", [Scope.TICKETS_READ])
    assert issued.token.startswith("fdk_")
    with tenant.services.store.read() as uow:
        actor, stale = credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)
        stored = uow.conn.execute(
            select(tables.credentials.c.secret_hash).where(
                tables.credentials.c.id == issued.credential.id
            )
        ).scalar_one()
    assert actor.account_id == tenant.id and actor.scopes == frozenset({Scope.TICKETS_READ})
    assert stale
    secret = issued.token.split("_", 2)[2]
    assert secret not in stored and stored == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.replace("fdk_", "fdc_"),
        lambda token: "fdk_0000000000000000_" + token.split("_", 2)[2],
        lambda token: "",
        lambda token: "Bearer " + token,
        lambda token: token.split("_", 2)[0] + "_" + token.split("_", 2)[1],
    ],
)
def test_wrong_tokens_are_refused_alike(tenant: Tenant, mangle: object) -> None:
    with tenant.services.store.write() as uow:
        token = credentials.issue_api_key(uow, tenant.actor, "k", [Scope.ADMIN]).token
    with pytest.raises(Unauthenticated) as refused, tenant.services.store.read() as uow:
        credentials.authenticate(uow, mangle(token), CredentialKind.API_KEY)  # type: ignore[operator]
    assert refused.value.message == "The key is not valid"


def test_revoked_key_stops_working(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        issued = credentials.issue_api_key(uow, tenant.actor, "k", [Scope.ADMIN])
        credentials.revoke(uow, tenant.actor, CredentialKind.API_KEY, issued.credential.id)
    with pytest.raises(Unauthenticated), tenant.services.store.read() as uow:
        credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)


def test_key_without_scopes_is_refused(tenant: Tenant) -> None:
    with pytest.raises(Invalid), tenant.services.store.write() as uow:
        credentials.issue_api_key(uow, tenant.actor, "k", [])


def test_customer_token_is_bound_to_its_contact(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        contact = contacts.find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address("c"))
        )
        issued = credentials.issue_customer_token(uow, tenant.actor, contact.id)
    assert issued.token.startswith("fdc_")
    with tenant.services.store.read() as uow:
        actor, _ = credentials.authenticate(uow, issued.token, CredentialKind.CUSTOMER)
        with pytest.raises(Unauthenticated):
            credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)
    assert actor.contact_id == contact.id and actor.scopes == frozenset()
    with pytest.raises(NotFound), other_tenant.services.store.write() as uow:
        credentials.issue_customer_token(uow, other_tenant.actor, contact.id)
    with pytest.raises(NotFound), other_tenant.services.store.write() as uow:
        credentials.revoke(uow, other_tenant.actor, CredentialKind.CUSTOMER, issued.credential.id)


def _revocations(tenant: Tenant) -> list[str]:
    with tenant.services.store.read() as uow:
        return [
            row.data
            for row in uow.conn.execute(
                select(tables.events.c.data).where(
                    tables.events.c.account_id == tenant.id,
                    tables.events.c.kind == "credential.revoked",
                )
            )
        ]


def test_revoking_is_recorded_once_and_names_the_kind_it_looked_for(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        issued = credentials.issue_api_key(uow, tenant.actor, "ci", [Scope.TICKETS_READ])
        key_id = issued.credential.id
        first = credentials.revoke(uow, tenant.actor, CredentialKind.API_KEY, key_id)
        again = credentials.revoke(uow, tenant.actor, CredentialKind.API_KEY, key_id)
    assert first.revoked is not None and again.revoked == first.revoked
    assert [json.loads(data) for data in _revocations(tenant)] == [{"id": key_id}]
    with pytest.raises(NotFound) as raised, tenant.services.store.write() as uow:
        credentials.revoke(uow, tenant.actor, CredentialKind.CUSTOMER, key_id)
    assert raised.value.code == "credential_not_found"
    assert raised.value.message == f"No customer {key_id}"
    with pytest.raises(NotFound) as raised, tenant.services.store.write() as uow:
        credentials.revoke(uow, tenant.actor, CredentialKind.API_KEY, key_id + 1000)
    assert raised.value.message == f"No api key {key_id + 1000}"


def test_a_customer_token_is_named_after_its_contact_unless_named(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        contact = contacts.find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address("named"))
        )
        plain = credentials.issue_customer_token(uow, tenant.actor, contact.id)
        named = credentials.issue_customer_token(uow, tenant.actor, contact.id, "portal")
    assert plain.credential.name == contact.email
    assert named.credential.name == "portal"


def test_a_keys_last_use_is_stale_only_when_older_than_a_minute(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        issued = credentials.issue_api_key(uow, tenant.actor, "stamp", [Scope.TICKETS_READ])
    with tenant.services.store.read() as uow:
        _, never_used = credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)
    with tenant.services.store.write() as uow:
        credentials.touch(uow, issued.credential.id)
    with tenant.services.store.read() as uow:
        _, just_used = credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)
    old = now_ms() - 61_000
    pinned = update(tables.credentials).where(tables.credentials.c.id == issued.credential.id)
    with tenant.services.store.engine.begin() as conn:
        conn.execute(pinned.values(last_used=old))
    with tenant.services.store.read() as uow:
        _, used_long_ago = credentials.authenticate(uow, issued.token, CredentialKind.API_KEY)
    assert (never_used, just_used, used_long_ago) == (True, False, True)


def test_a_customer_token_for_an_address_is_named_as_asked_or_by_the_address(
    tenant: Tenant,
) -> None:
    # kills issue_customer_token_for's default name and the name it passes on
    email = tenant.address("newcomer")
    with tenant.services.store.write() as uow:
        plain = credentials.issue_customer_token_for(uow, tenant.actor, email)
        named = credentials.issue_customer_token_for(uow, tenant.actor, email, "Portal")
    assert (plain.credential.name, named.credential.name) == (email, "Portal")
    assert plain.credential.contact_id == named.credential.contact_id is not None
