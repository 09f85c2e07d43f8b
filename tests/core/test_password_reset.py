"""Password resets in the core, on both databases: the link stored hashed, what it takes
while it can be used, what it changes (the password, every session, the events), and each
refusal with its code and message, nothing changed after one."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from sqlalchemy import select, update

from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.records import Agent, PasswordReset
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.storage import tables as t
from frontdesk.storage.identity import SqlSessions
from tests.conftest import Tenant
from tests.core.helpers import add_agent, recorded

OLD_PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and longer one"
HOUR_MS = 3_600_000
POLICY = sessions.Policy(
    idle_ms=HOUR_MS, absolute_ms=86_400_000, failures_per_address=5, failures_per_ip=50,
    window_ms=60_000, reset_ms=HOUR_MS,
)  # fmt: skip


def _agent(tenant: Tenant, name: str) -> Agent:
    return add_agent(tenant, name, password=OLD_PASSWORD)


def _link(tenant: Tenant, agent: Agent, expires: int | None = None) -> sessions.ResetIssued:
    with tenant.services.store.write() as uow:
        return sessions.issue_link(uow, agent, expires or now_ms() + HOUR_MS)


def _reset_row(tenant: Tenant, reset_id: int) -> PasswordReset:
    with tenant.services.store.engine.connect() as conn:
        row = conn.execute(select(t.password_resets).where(t.password_resets.c.id == reset_id))
        return PasswordReset(**row.one()._asdict())


def _password_works(tenant: Tenant, agent: Agent, password: str) -> bool:
    with tenant.services.store.read() as uow:
        return accounts.verify_password(accounts.get_agent(uow, tenant.actor, agent.id), password)


def test_a_link_is_stored_hashed_for_its_agent_until_it_expires(tenant: Tenant) -> None:
    # kills issue_link's stored values and the row id it answers with
    agent = _agent(tenant, "Alva")
    expires = now_ms() + 5 * HOUR_MS
    before = now_ms()
    issued = _link(tenant, agent, expires)
    row = _reset_row(tenant, issued.id)
    public_id, secret = issued.token.split(".")
    assert (issued.agent, issued.expires) == (agent, expires)
    assert (row.account_id, row.agent_id, row.public_id, row.expires, row.used) == (
        tenant.id,
        agent.id,
        public_id,
        expires,
        None,
    )
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert before <= row.created <= now_ms()


def test_a_link_is_taken_until_its_last_millisecond_and_not_at_it(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kills check_reset's `now >= expires` as `>`, its `or`s as `and`, and the NotFound's
    # code and message
    agent = _agent(tenant, "Alva")
    expires = now_ms() + HOUR_MS
    issued = _link(tenant, agent, expires)
    monkeypatch.setattr(sessions, "now_ms", lambda: expires - 1)
    with tenant.services.store.read() as uow:
        assert sessions.check_reset(uow, issued.token).id == issued.id
    monkeypatch.setattr(sessions, "now_ms", lambda: expires)
    wrong_secret = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    for token in (issued.token, wrong_secret, ""):
        with pytest.raises(NotFound) as refused, tenant.services.store.read() as uow:
            sessions.check_reset(uow, token)
        assert (refused.value.code, refused.value.message) == (
            "reset_not_found",
            "This link has expired or was used already",
        )


def test_a_reset_sets_the_password_ends_every_session_and_is_recorded(tenant: Tenant) -> None:
    # kills reset_password's new password, the sessions revoked (whose, and when), the
    # events (kind, actor, reset_id) and the agent it answers with; and check_reset's
    # `used is None` (the link works once)
    agent, colleague = _agent(tenant, "Alva"), _agent(tenant, "Jonas")
    client = sessions.Client("192.0.2.10")
    with tenant.services.store.write() as uow:
        mine = sessions.sign_in(uow, agent.email, OLD_PASSWORD, client, POLICY)
        theirs = sessions.sign_in(uow, colleague.email, OLD_PASSWORD, client, POLICY)
    assert isinstance(mine, sessions.Started) and isinstance(theirs, sessions.Started)
    issued = _link(tenant, agent)
    before = now_ms()
    with tenant.services.store.write() as uow:
        changed = sessions.reset_password(uow, issued.token, NEW_PASSWORD)
    assert changed.id == agent.id and changed.password_hash != agent.password_hash
    assert _password_works(tenant, agent, NEW_PASSWORD)
    assert not _password_works(tenant, agent, OLD_PASSWORD)
    assert _password_works(tenant, colleague, OLD_PASSWORD)
    with tenant.services.store.engine.connect() as conn:
        revoked = dict(
            conn.execute(
                select(t.web_sessions.c.id, t.web_sessions.c.revoked).where(
                    t.web_sessions.c.id.in_([mine.session.id, theirs.session.id])
                )
            ).all()
        )
    assert revoked[theirs.session.id] is None
    assert before <= revoked[mine.session.id] <= now_ms()
    used = _reset_row(tenant, issued.id).used
    assert used is not None and before <= used <= now_ms()
    label = f"agent:{agent.id}"
    assert recorded(tenant, sessions.PASSWORD_RESET) == [(label, {"reset_id": issued.id})]
    assert recorded(tenant, "agent.updated") == [(label, {"agent_id": agent.id})]
    with pytest.raises(NotFound) as again, tenant.services.store.write() as uow:
        sessions.reset_password(uow, issued.token, "yet another password")
    assert again.value.code == "reset_not_found"
    assert _password_works(tenant, agent, NEW_PASSWORD)


def test_a_weak_password_leaves_the_link_unused(tenant: Tenant) -> None:
    # kills reset_password's password passed on as None (no check, no change)
    agent = _agent(tenant, "Alva")
    issued = _link(tenant, agent)
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        sessions.reset_password(uow, issued.token, "short")
    assert (refused.value.code, refused.value.field) == ("weak_password", "password")
    assert _reset_row(tenant, issued.id).used is None
    assert _password_works(tenant, agent, OLD_PASSWORD)
    assert recorded(tenant, sessions.PASSWORD_RESET) == []


class _ReadBeforeUse(SqlSessions):
    """The real repository, except that a link reads as unused: what a second request
    sees when it read the link before the first one used it (SQLite serialises writers,
    so the race itself only happens on PostgreSQL, and there not on demand)."""

    def find_reset(self, public_id: str) -> PasswordReset | None:
        found = super().find_reset(public_id)
        return dataclasses.replace(found, used=None) if found is not None else None


def test_the_second_of_two_simultaneous_resets_is_refused(tenant: Tenant) -> None:
    # kills reset_password's reset_used Conflict (`if use_reset`, its code and message)
    agent = _agent(tenant, "Alva")
    issued = _link(tenant, agent)
    with tenant.services.store.write() as uow:
        sessions.reset_password(uow, issued.token, NEW_PASSWORD)
    with tenant.services.store.write() as uow:
        uow.sessions = _ReadBeforeUse(uow.conn)
        with pytest.raises(Conflict) as refused:
            sessions.reset_password(uow, issued.token, "the loser's password")
    assert (refused.value.code, refused.value.message) == (
        "reset_used",
        "This link was used already",
    )
    assert _password_works(tenant, agent, NEW_PASSWORD)
    assert len(recorded(tenant, sessions.PASSWORD_RESET)) == 1


def test_a_link_whose_agent_is_not_in_its_account_is_not_valid(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills reset_password's `agent is not None` and its NotFound's code and message; such
    # a row is written here directly, as no core function writes one
    agent = _agent(tenant, "Alva")
    stranger = _agent(other_tenant, "Eve")
    issued = _link(tenant, agent)
    with tenant.services.store.engine.begin() as conn:
        conn.execute(
            update(t.password_resets)
            .where(t.password_resets.c.id == issued.id)
            .values(agent_id=stranger.id)
        )
    with pytest.raises(NotFound) as refused, tenant.services.store.write() as uow:
        sessions.reset_password(uow, issued.token, NEW_PASSWORD)
    assert (refused.value.code, refused.value.message) == (
        "reset_not_found",
        "This link is not valid",
    )
    with other_tenant.services.store.read() as uow:
        theirs = accounts.get_agent(uow, other_tenant.actor, stranger.id)
    assert accounts.verify_password(theirs, OLD_PASSWORD)
