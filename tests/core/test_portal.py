"""The customer portal's sign-in in the core, on both databases: links asked for (and
their limit), used once to start a session, the session's stored clocks, and the portal
found by its public id. (tests/web/test_portal.py drives the same through the pages.)"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest
from sqlalchemy import Table, select, update

from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import portal, sessions
from frontdesk.core.identity.records import PortalLink
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import NotFound, RateLimited
from frontdesk.storage import tables as t
from frontdesk.storage.portal import SqlPortal
from tests.conftest import Tenant
from tests.core.helpers import recorded

HOUR_MS = 3_600_000
POLICY = sessions.Policy(
    idle_ms=HOUR_MS, absolute_ms=5 * HOUR_MS, failures_per_address=2, failures_per_ip=50,
    window_ms=900_000, reset_ms=HOUR_MS,
)  # fmt: skip


def _contact(tenant: Tenant, local: str = "cora") -> Contact:
    with tenant.services.store.write() as uow:
        return contacts.find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address(local))
        )


def _client(tenant: Tenant) -> sessions.Client:
    """An address of the test's own (the attempts table is shared by the session's tests)."""
    return sessions.Client(f"2001:db8:{tenant.tag[:4]}::7")


def _ask(tenant: Tenant, email: str) -> portal.LinkIssued | None:
    with tenant.services.store.write() as uow:
        return portal.request_link(uow, tenant.id, email, _client(tenant), POLICY)


def _row(tenant: Tenant, table: Table, row_id: int) -> Any:
    with tenant.services.store.engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == row_id)).one()


def test_a_link_for_a_known_address_is_stored_hashed_and_recorded(tenant: Tenant) -> None:
    # kills request_link's contact lookup, the link's stored values, its event and answer
    contact = _contact(tenant)
    before = now_ms()
    issued = _ask(tenant, f"  {contact.email.replace('example.com', 'EXAMPLE.com')} ")
    assert issued is not None and issued.contact == contact
    with tenant.services.store.engine.connect() as conn:
        [row] = conn.execute(
            select(t.portal_links).where(t.portal_links.c.contact_id == contact.id)
        ).all()
    public_id, secret = issued.token.split(".")
    assert (row.account_id, row.public_id, row.used) == (tenant.id, public_id, None)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert before <= row.created <= now_ms() and row.expires == row.created + HOUR_MS
    assert issued.expires == row.expires
    assert recorded(tenant, portal.PORTAL_LINK_REQUESTED) == [
        (f"portal:{contact.id}", {"link_id": row.id})
    ]


def test_every_request_counts_against_the_limit_known_address_or_not(tenant: Tenant) -> None:
    # kills request_link's RateLimited (its code, message and wait) and the attempt recorded
    # for an unknown address too
    unknown = tenant.address("nobody")
    assert _ask(tenant, unknown) is None
    assert _ask(tenant, unknown) is None
    with pytest.raises(RateLimited) as limited:
        _ask(tenant, unknown)
    assert (limited.value.code, limited.value.message) == (
        "too_many_links",
        "Too many sign-in links asked for; try again later",
    )
    assert 0 < limited.value.retry_after <= 900
    assert recorded(tenant, portal.PORTAL_LINK_REQUESTED) == []


def test_requests_from_one_client_count_together_whatever_they_ask_for(tenant: Tenant) -> None:
    # kills request_link's client IP dropped from the limit (only the e-mail address counted)
    per_ip = dataclasses.replace(POLICY, failures_per_address=50, failures_per_ip=2)

    def ask(local: str) -> portal.LinkIssued | None:
        with tenant.services.store.write() as uow:
            return portal.request_link(
                uow, tenant.id, tenant.address(local), _client(tenant), per_ip
            )

    assert (ask("first"), ask("second")) == (None, None)
    with pytest.raises(RateLimited) as limited:
        ask("third")
    assert limited.value.code == "too_many_links"


def _sign_in(tenant: Tenant, token: str) -> portal.CustomerStarted:
    with tenant.services.store.write() as uow:
        return portal.sign_in_with_link(uow, tenant.id, token, _client(tenant), POLICY)


def test_a_link_starts_one_session_as_its_contact(tenant: Tenant) -> None:
    # kills sign_in_with_link's use of the link (`and` for `or`), the session's stored
    # values and clocks, its event and the token it answers with
    contact = _contact(tenant)
    issued = _ask(tenant, contact.email)
    assert issued is not None
    before = now_ms()
    started = _sign_in(tenant, issued.token)
    assert started.contact == contact
    row = _row(tenant, t.portal_sessions, started.session.id)
    public_id, secret = started.token.split(".")
    assert (row.account_id, row.contact_id, row.public_id, row.revoked) == (
        tenant.id,
        contact.id,
        public_id,
        None,
    )
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert before <= row.created == row.last_seen <= now_ms()
    assert row.expires == row.created + 5 * HOUR_MS
    with tenant.services.store.engine.connect() as conn:
        used = conn.execute(
            select(t.portal_links.c.used).where(t.portal_links.c.contact_id == contact.id)
        ).scalar_one()
    assert used == row.created
    with tenant.services.store.read() as uow:
        signed = portal.authenticate(uow, tenant.id, started.token, POLICY)
    assert (signed.session.id, signed.contact) == (started.session.id, contact)
    assert recorded(tenant, portal.PORTAL_SESSION_STARTED) == [
        (f"portal:{contact.id}", {"session_id": started.session.id})
    ]
    with pytest.raises(NotFound) as again:
        _sign_in(tenant, issued.token)
    assert again.value.code == "link_not_found"


class _ReadBeforeUse(SqlPortal):
    """The real repository, except that a link reads as unused: what a second request
    sees when it read the link before the first one used it (a race SQLite's serialised
    writers never produce)."""

    def find_link(self, public_id: str) -> PortalLink | None:
        found = super().find_link(public_id)
        return dataclasses.replace(found, used=None) if found is not None else None


def test_the_second_of_two_simultaneous_uses_of_a_link_is_refused(tenant: Tenant) -> None:
    # kills sign_in_with_link's `if use_link` for `if not use_link` and its NotFound's code
    # and message
    contact = _contact(tenant)
    issued = _ask(tenant, contact.email)
    assert issued is not None
    _sign_in(tenant, issued.token)
    with tenant.services.store.write() as uow:
        uow.portal = _ReadBeforeUse(uow.conn)
        with pytest.raises(NotFound) as refused:
            portal.sign_in_with_link(uow, tenant.id, issued.token, _client(tenant), POLICY)
    assert (refused.value.code, refused.value.message) == (
        "link_not_found",
        "This link has expired or was used already",
    )
    assert len(recorded(tenant, portal.PORTAL_SESSION_STARTED)) == 1


def test_touching_a_session_moves_its_idle_clock_only(tenant: Tenant) -> None:
    # kills touch's session id, "last_seen" key and time
    contact = _contact(tenant)
    issued = _ask(tenant, contact.email)
    assert issued is not None
    other = _ask(tenant, contact.email)
    assert other is not None
    first, second = _sign_in(tenant, issued.token), _sign_in(tenant, other.token)
    long_ago = now_ms() - 10 * 60_000
    with tenant.services.store.engine.begin() as conn:
        conn.execute(
            update(t.portal_sessions)
            .where(t.portal_sessions.c.contact_id == contact.id)
            .values(last_seen=long_ago)
        )
    before = now_ms()
    with tenant.services.store.write() as uow:
        portal.touch(uow, first.session.id)
    touched = _row(tenant, t.portal_sessions, first.session.id)
    assert before <= touched.last_seen <= now_ms()
    assert touched.expires == first.session.expires  # the absolute end stays
    assert _row(tenant, t.portal_sessions, second.session.id).last_seen == long_ago


def test_a_portal_is_found_by_its_accounts_public_id_only(tenant: Tenant) -> None:
    # kills portal_account's lookup and its NotFound's code and message
    public_id = tenant.account.public_id
    with tenant.services.store.read() as uow:
        assert portal.portal_account(uow, public_id) == tenant.account
        for wrong in (public_id + "x", "w" * 65, ""):
            with pytest.raises(NotFound) as refused:
                portal.portal_account(uow, wrong)
            assert (refused.value.code, refused.value.message) == (
                "portal_not_found",
                "No such portal",
            )
