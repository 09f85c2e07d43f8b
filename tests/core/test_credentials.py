"""Keys: shown once, stored hashed, scoped, revocable, bound to their account."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, update

from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import credentials
from frontdesk.core.identity.credentials import Issued
from frontdesk.core.identity.records import Agent, Credential, CredentialKind
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound, Unauthenticated
from frontdesk.core.shared.records import Scope
from frontdesk.storage import tables
from tests.conftest import Tenant
from tests.core.helpers import add_agent, recorded


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


def _issue_personal(tenant: Tenant, agent: Agent, name: str, *scopes: Scope) -> Issued:
    with tenant.services.store.write() as uow:
        return credentials.issue_personal_token(uow, agent_actor(agent), name, scopes)


def _live_tokens(tenant: Tenant, agent: Agent) -> list[Credential]:
    with tenant.services.store.read() as uow:
        return uow.credentials.agent_credentials(agent.id)


def test_a_personal_token_is_bound_to_its_agent_with_the_scopes_asked_for(tenant: Tenant) -> None:
    # kills issue_personal_token's arguments to _issue (name, scopes, agent_id) and
    # _only_held's check of the agent's own scopes
    agent = add_agent(tenant, "Tove")
    issued = _issue_personal(tenant, agent, "  Nightly  ", Scope.TICKETS_WRITE, Scope.TICKETS_READ)
    assert issued.token.startswith(f"fdp_{issued.credential.key_id}_")
    [stored] = _live_tokens(tenant, agent)
    assert stored == issued.credential
    assert (stored.kind, stored.name, stored.agent_id, stored.contact_id) == (
        CredentialKind.PERSONAL,
        "Nightly",
        agent.id,
        None,
    )
    assert stored.scopes == frozenset({Scope.TICKETS_READ, Scope.TICKETS_WRITE})
    assert recorded(tenant, "credential.issued") == [
        ("test", {"id": tenant_key_id(tenant), "kind": "api_key"}),
        (f"agent:{agent.id}", {"id": stored.id, "kind": "personal"}),
    ]
    with pytest.raises(Forbidden) as refused, tenant.services.store.write() as uow:
        credentials.issue_personal_token(uow, agent_actor(agent), "Admin", [Scope.ADMIN])
    assert refused.value.code == "scope_not_held"
    assert _live_tokens(tenant, agent) == [stored]


def tenant_key_id(tenant: Tenant) -> int:
    """The credential id of the admin key every tenant is made with (tests/conftest.py)."""
    with tenant.services.store.read() as uow:
        [key] = credentials.list_credentials(uow, tenant.actor, CredentialKind.API_KEY)
    return key.id


@pytest.mark.parametrize(
    ("name", "scopes", "code", "message", "field"),
    [
        ("Nightly", (), "no_scopes", "A token needs at least one scope", "scopes"),
        ("   ", (Scope.TICKETS_READ,), "required", "Give the token a name", "name"),
        ("", (Scope.TICKETS_READ,), "required", "Give the token a name", "name"),
    ],
)
def test_a_personal_token_needs_a_name_and_a_scope(
    tenant: Tenant, name: str, scopes: tuple[Scope, ...], code: str, message: str, field: str
) -> None:
    # kills issue_personal_token's two Invalid refusals (code, message, field) and the name
    # taken without strip()
    agent = add_agent(tenant, "Tove")
    with pytest.raises(Invalid) as refused:
        _issue_personal(tenant, agent, name, *scopes)
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        code,
        message,
        field,
    )
    assert _live_tokens(tenant, agent) == []


def test_only_an_agent_has_personal_tokens(tenant: Tenant) -> None:
    # kills _own_agent_id's Forbidden code and message as issue_personal_token raises it
    with pytest.raises(Forbidden) as refused, tenant.services.store.write() as uow:
        credentials.issue_personal_token(uow, tenant.actor, "Key", [Scope.TICKETS_READ])
    assert (refused.value.code, refused.value.message) == (
        "agent_only",
        "Only an agent has personal tokens",
    )


def test_an_agent_holds_20_live_personal_tokens_and_a_revoked_one_frees_a_place(
    tenant: Tenant,
) -> None:
    # kills issue_personal_token's `>=` as `>` and its too_many_tokens code and message
    agent, other = add_agent(tenant, "Tove"), add_agent(tenant, "Ulf")
    made = [_issue_personal(tenant, agent, f"T{i}", Scope.TICKETS_READ) for i in range(20)]
    with pytest.raises(Invalid) as refused:
        _issue_personal(tenant, agent, "T20", Scope.TICKETS_READ)
    assert (refused.value.code, refused.value.message) == (
        "too_many_tokens",
        "At most 20 tokens per agent",
    )
    assert len(_live_tokens(tenant, agent)) == 20
    _issue_personal(tenant, other, "Theirs", Scope.TICKETS_READ)  # counted per agent
    with tenant.services.store.write() as uow:
        credentials.revoke_personal_token(uow, agent_actor(agent), made[0].credential.id)
    _issue_personal(tenant, agent, "T20", Scope.TICKETS_READ)
    assert [c.name for c in _live_tokens(tenant, agent)] == [f"T{i}" for i in range(1, 21)]


def test_an_agent_revokes_their_own_tokens_and_only_an_admin_anothers(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills revoke_agent_tokens' guard (`or` for `and`, `==` for `!=`), its Forbidden's code
    # and message, the revocation's time, the count, and the event only when one was live
    agent, colleague = add_agent(tenant, "Tove"), add_agent(tenant, "Ulf")
    for name in ("One", "Two"):
        _issue_personal(tenant, agent, name, Scope.TICKETS_READ)
    kept = _issue_personal(tenant, colleague, "Kept", Scope.TICKETS_READ)
    with pytest.raises(Forbidden) as refused, tenant.services.store.write() as uow:
        credentials.revoke_agent_tokens(uow, agent_actor(colleague), agent.id)
    assert (refused.value.code, refused.value.message) == (
        "admin_only",
        "Only an admin can revoke another agent's tokens",
    )
    with pytest.raises(NotFound), other_tenant.services.store.write() as uow:
        credentials.revoke_agent_tokens(uow, other_tenant.actor, agent.id)
    assert len(_live_tokens(tenant, agent)) == 2
    before = now_ms()
    with tenant.services.store.write() as uow:
        assert credentials.revoke_agent_tokens(uow, agent_actor(agent), agent.id) == 2
    with tenant.services.store.write() as uow:
        assert credentials.revoke_agent_tokens(uow, tenant.actor, agent.id) == 0
    assert _live_tokens(tenant, agent) == [] and _live_tokens(tenant, colleague) == [
        kept.credential
    ]
    with tenant.services.store.read() as uow:
        revoked = uow.conn.execute(
            select(tables.credentials.c.revoked).where(tables.credentials.c.agent_id == agent.id)
        ).scalars()
        assert all(before <= stamp <= now_ms() for stamp in revoked)
    assert recorded(tenant, "credential.revoked") == [(f"agent:{agent.id}", {"agent_id": agent.id})]


def test_a_token_is_parsed_into_its_key_id_and_secret_where_its_kind_is_taken(
    tenant: Tenant,
) -> None:
    # kills parse_token's answer (the pair, its order) and the refusals it passes on
    agent = add_agent(tenant, "Tove")
    personal = _issue_personal(tenant, agent, "Script", Scope.TICKETS_READ)
    key_id, secret = personal.credential.key_id, personal.token.split("_", 2)[2]
    assert credentials.parse_token(personal.token, CredentialKind.PERSONAL) == (key_id, secret)
    assert credentials.parse_token(personal.token, CredentialKind.API_KEY) == (key_id, secret)
    for token, kind in (
        (personal.token, CredentialKind.CUSTOMER),
        ("fdk_" + personal.token[4:], CredentialKind.PERSONAL),
        (f"fdp_{key_id}_", CredentialKind.PERSONAL),
        (f"fdp_{key_id[:15]}_{secret}", CredentialKind.PERSONAL),
    ):
        with pytest.raises(Unauthenticated) as refused:
            credentials.parse_token(token, kind)
        assert (refused.value.code, refused.value.message) == (
            "invalid_credentials",
            "The key is not valid",
        )
