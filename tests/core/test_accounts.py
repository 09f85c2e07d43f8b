"""An account's agents and inboxes looked up by the ways the transports name them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from frontdesk.core.identity import accounts, business, sessions, team
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.business import BusinessFields
from frontdesk.core.identity.records import Agent, Role
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.core.shared.events import SETTINGS_CHANGED
from frontdesk.core.shared.records import Actor
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import add_agent, open_ticket, recorded


def test_agents_are_found_by_uuid_and_email_in_their_own_account_only(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    ann = add_agent(tenant, "Ann")
    bob = add_agent(tenant, "Bob")
    theirs = add_agent(other_tenant, "Eve")
    with tenant.services.store.read() as uow:
        assert accounts.agent_by_uuid(uow, tenant.actor, bob.uuid) == bob
        assert accounts.agent_uuids(uow, tenant.actor) == {ann.id: ann.uuid, bob.id: bob.uuid}
        assert accounts.find_agent_by_email(uow, tenant.actor, f"  {ann.email} ") == ann
        with pytest.raises(NotFound) as by_uuid:
            accounts.agent_by_uuid(uow, tenant.actor, theirs.uuid + "x" * 50, field="assigneeId")
        with pytest.raises(NotFound) as by_email:
            accounts.find_agent_by_email(uow, tenant.actor, theirs.email)
    assert (by_uuid.value.code, by_uuid.value.field) == ("agent_not_found", "assigneeId")
    assert by_uuid.value.message == f"No agent {(theirs.uuid + 'x' * 50)[:40]}"
    assert (by_email.value.code, by_email.value.field) == ("agent_not_found", "email")
    assert by_email.value.message == f"No agent with e-mail {theirs.email!r}"


def test_inboxes_are_found_by_id_and_address_and_the_first_is_the_default(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        assert accounts.default_inbox(uow, tenant.id) is None
        first = accounts.create_inbox(uow, tenant.actor, "First", tenant.address("first"))
        second = accounts.create_inbox(uow, tenant.actor, "Second", tenant.address("second"))
    with other_tenant.services.store.write() as uow:
        theirs = accounts.create_inbox(
            uow, other_tenant.actor, "Theirs", other_tenant.address("in")
        )
    with tenant.services.store.read() as uow:
        assert accounts.default_inbox(uow, tenant.id) == first
        assert accounts.find_inbox(uow, tenant.id, second.id) == second
        assert accounts.find_inbox(uow, tenant.id, theirs.id) is None
        assert accounts.inbox_with_address(uow, theirs.email) == theirs
        assert accounts.inbox_by_address(uow, tenant.actor, f" {second.email} ") == second
        with pytest.raises(NotFound) as raised:
            accounts.inbox_by_address(uow, tenant.actor, theirs.email)
    assert (raised.value.code, raised.value.field) == ("inbox_not_found", "toEmail")
    assert raised.value.message == f"No inbox with address {theirs.email!r}"


def test_renaming_an_account_is_stored_and_recorded_once(tenant: Tenant) -> None:
    """Name, time zone and language are one change: one `settings.changed` event naming
    what was set (the native PATCH and the settings form both send them together)."""
    fields = BusinessFields(name="  New Name ", time_zone="Europe/Oslo")
    with tenant.services.store.write() as uow:
        renamed = business.update_business(uow, tenant.actor, fields)
    with tenant.services.store.read() as uow:
        assert accounts.get_account(uow, tenant.id).name == "New Name" == renamed.name
        recorded = uow.conn.execute(
            select(t.events.c.data)
            .where(t.events.c.account_id == tenant.id, t.events.c.kind == SETTINGS_CHANGED)
            .order_by(t.events.c.id.desc())
        ).all()
    assert json.loads(recorded[0].data) == {"name": "New Name", "time_zone": "Europe/Oslo"}
    assert [json.loads(row.data) for row in recorded[1:]] == [{"created": True}]


def test_the_last_owner_keeps_the_role_and_a_second_owner_frees_it(tenant: Tenant) -> None:
    owner = add_agent(tenant, "Olle")
    with tenant.services.store.write() as uow:
        accounts.update_agent(uow, tenant.actor, owner.id, AgentFields(role=Role.OWNER))
    with pytest.raises(Conflict) as raised, tenant.services.store.write() as uow:
        accounts.update_agent(uow, tenant.actor, owner.id, AgentFields(role=Role.AGENT))
    assert (raised.value.code, raised.value.field) == ("last_owner", "role")
    assert raised.value.message == "An account keeps at least one owner"
    second = add_agent(tenant, "Siv")
    with tenant.services.store.write() as uow:
        accounts.update_agent(uow, tenant.actor, second.id, AgentFields(role=Role.OWNER))
        demoted = accounts.update_agent(uow, tenant.actor, owner.id, AgentFields(role=Role.AGENT))
    assert demoted.role is Role.AGENT


def test_an_inbox_is_updated_field_by_field_and_keeps_its_address_unique(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Desk", tenant.address("desk"))
    with other_tenant.services.store.write() as uow:
        taken = accounts.create_inbox(uow, other_tenant.actor, "Taken", other_tenant.address("x"))
    moved = tenant.address("moved").replace("example.com", "Example.COM")
    with tenant.services.store.write() as uow:
        named = accounts.update_inbox(uow, tenant.actor, inbox.id, name="  Front ")
        same = accounts.update_inbox(uow, tenant.actor, inbox.id, email=inbox.email)
        replied = accounts.update_inbox(
            uow, tenant.actor, inbox.id, email=moved, auto_reply="We read everything"
        )
        unchanged = accounts.update_inbox(uow, tenant.actor, inbox.id)
        cleared = accounts.update_inbox(uow, tenant.actor, inbox.id, auto_reply="")
    assert (named.name, named.email, named.auto_reply) == ("Front", inbox.email, None)
    assert same.email == inbox.email
    assert (replied.name, replied.email) == ("Front", moved.replace("Example.COM", "example.com"))
    assert replied.auto_reply == "We read everything" and unchanged == replied
    assert cleared.auto_reply is None
    with tenant.services.store.read() as uow:
        assert accounts.find_inbox(uow, tenant.id, inbox.id) == cleared
        updates = uow.conn.execute(
            select(t.events.c.data).where(
                t.events.c.account_id == tenant.id, t.events.c.kind == "inbox.updated"
            )
        ).all()
    # one event per call that changed something: the call with nothing to change records none
    assert [json.loads(row.data) for row in updates] == [{"inbox_id": inbox.id}] * 4
    with pytest.raises(Conflict) as raised, tenant.services.store.write() as uow:
        accounts.update_inbox(uow, tenant.actor, inbox.id, name="Kept?", email=taken.email)
    assert (raised.value.code, raised.value.field) == ("inbox_exists", "email")
    assert raised.value.message == f"The address {taken.email} is taken"
    with tenant.services.store.read() as uow:
        assert accounts.find_inbox(uow, tenant.id, inbox.id) == cleared


def test_long_unknown_addresses_are_cut_to_80_characters_in_the_error(tenant: Tenant) -> None:
    email = "x" * 90 + "@example.org"
    with tenant.services.store.read() as uow:
        with pytest.raises(NotFound) as agent:
            accounts.find_agent_by_email(uow, tenant.actor, email)
        with pytest.raises(NotFound) as inbox:
            accounts.inbox_by_address(uow, tenant.actor, email)
    assert agent.value.message == f"No agent with e-mail {'x' * 80!r}"
    assert inbox.value.message == f"No inbox with address {'x' * 80!r}"


def test_agents_by_id_leave_out_other_accounts_and_unknown_ids(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = add_agent(tenant, "Mine")
    theirs = add_agent(other_tenant, "Theirs")
    with tenant.services.store.read() as uow:
        found = accounts.agents_by_id(uow, tenant.id, [mine.id, theirs.id, 2_000_000])
    assert found == {mine.id: mine}


def test_an_inbox_with_tickets_stays_and_an_empty_one_is_deleted(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.services.store.write() as uow:
        used = accounts.create_inbox(uow, tenant.actor, "Used", tenant.address("used"))
        empty = accounts.create_inbox(uow, tenant.actor, "Empty", tenant.address("empty"))
    open_ticket(tenant, inbox_id=used.id)
    with pytest.raises(Conflict) as raised, tenant.services.store.write() as uow:
        accounts.delete_inbox(uow, tenant.actor, used.id)
    assert raised.value.code == "inbox_in_use"
    assert raised.value.message == "Tickets belong to this inbox; it cannot be deleted"
    with pytest.raises(NotFound) as raised, other_tenant.services.store.write() as uow:
        accounts.delete_inbox(uow, other_tenant.actor, empty.id)
    assert (raised.value.code, raised.value.message) == ("inbox_not_found", f"No inbox {empty.id}")
    with tenant.services.store.write() as uow:
        accounts.delete_inbox(uow, tenant.actor, empty.id)
    with tenant.services.store.read() as uow:
        assert accounts.find_inbox(uow, tenant.id, empty.id) is None
        assert accounts.find_inbox(uow, tenant.id, used.id) == used
        deleted = uow.conn.execute(
            select(t.events.c.data).where(
                t.events.c.account_id == tenant.id, t.events.c.kind == "inbox.deleted"
            )
        ).all()
    assert [json.loads(row.data) for row in deleted] == [{"inbox_id": empty.id}]


def test_an_agents_language_tag_and_time_zone_are_checked_and_kept(tenant: Tenant) -> None:
    agent = add_agent(tenant, "Lang")

    def update(**fields: str) -> Agent:
        with tenant.services.store.write() as uow:
            return accounts.update_agent(uow, tenant.actor, agent.id, AgentFields(**fields))

    assert update(locale=" EN-gb ", time_zone=" Europe/Stockholm ").locale == "EN-gb"
    # a long tag is cut to its first 16 characters, which are checked and kept
    long = update(locale="en-abcdefgh-ijklmnop")
    assert (long.locale, long.time_zone) == ("en-abcdefgh-ijkl", "Europe/Stockholm")
    assert update(time_zone="").time_zone == ""
    for fields, code, message, field in (
        ({"locale": "e1"}, "invalid_locale", "Not a language tag", "locale"),
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone", "Not a known time zone", "time_zone"),
    ):
        with pytest.raises(Invalid) as raised:
            update(**fields)
        assert (raised.value.code, raised.value.message, raised.value.field) == (
            code,
            message,
            field,
        )


def test_a_stale_session_is_stamped_again_then_ended_by_its_agent(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        agent = accounts.create_agent(
            uow,
            tenant.actor,
            AgentFields(name="Sam", email=tenant.address("sam"), password="long enough pw"),
        )
    policy = sessions.Policy(
        idle_ms=3_600_000, absolute_ms=86_400_000, failures_per_address=5, failures_per_ip=50,
        window_ms=60_000, reset_ms=3_600_000,
    )  # fmt: skip
    with tenant.services.store.write() as uow:
        started = sessions.sign_in(
            uow, agent.email, "long enough pw", sessions.Client("192.0.2.9"), policy
        )
    assert isinstance(started, sessions.Started)
    an_hour_ago_less_a_minute = started.session.last_seen - 59 * 60_000
    pinned = update(t.web_sessions).where(t.web_sessions.c.id == started.session.id)
    with tenant.services.store.engine.begin() as conn:  # an old stamp, to see touch move it
        conn.execute(pinned.values(last_seen=an_hour_ago_less_a_minute))
    with tenant.services.store.read() as uow:
        stale = sessions.authenticate(uow, started.token, policy)
    assert stale.stale and stale.session.last_seen == an_hour_ago_less_a_minute
    with tenant.services.store.write() as uow:
        sessions.touch(uow, started.session.id)
    with tenant.services.store.read() as uow:
        fresh = sessions.authenticate(uow, started.token, policy)
    assert not fresh.stale and fresh.session.last_seen >= started.session.last_seen
    actor = sessions.agent_actor(agent)
    with pytest.raises(NotFound) as raised, tenant.services.store.write() as uow:
        sessions.end_session(uow, actor, started.session.id + 1000)
    assert (raised.value.code, raised.value.message) == (
        "session_not_found",
        f"No session {started.session.id + 1000}",
    )
    with tenant.services.store.write() as uow:
        ended = sessions.end_session(uow, actor, started.session.id)
    assert ended.revoked is not None
    with tenant.services.store.read() as uow:
        recorded = uow.conn.execute(
            select(t.events.c.data).where(
                t.events.c.account_id == tenant.id, t.events.c.kind == "session.ended"
            )
        ).all()
    assert [json.loads(row.data) for row in recorded] == [{"session_id": started.session.id}]


def _update_agent(tenant: Tenant, actor: Actor, agent_id: int, fields: AgentFields) -> Agent:
    with tenant.services.store.write() as uow:
        return accounts.update_agent(uow, actor, agent_id, fields)


def _stored_agent(tenant: Tenant, agent_id: int) -> Agent:
    with tenant.services.store.read() as uow:
        return accounts.get_agent(uow, tenant.actor, agent_id)


def test_an_agent_changes_their_own_details_but_not_their_own_role(tenant: Tenant) -> None:
    # kills update_agent's own_role guard: `role is None`, `or` for either `and`, `==` for
    # `!=` (both comparisons), and the Forbidden's code, message and field
    ann = add_agent(tenant, "Ann")
    as_ann = sessions.agent_actor(ann)
    renamed = _update_agent(tenant, as_ann, ann.id, AgentFields(name="Ann Berg"))
    restated = _update_agent(tenant, as_ann, ann.id, AgentFields(role=Role.AGENT, department="Ops"))
    assert (renamed.name, restated.role, restated.department) == ("Ann Berg", Role.AGENT, "Ops")
    with pytest.raises(Forbidden) as refused:
        _update_agent(tenant, as_ann, ann.id, AgentFields(role=Role.ADMIN, name="Boss"))
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        "own_role",
        "Agents cannot change their own role",
        "role",
    )
    stored = _stored_agent(tenant, ann.id)
    assert (stored.role, stored.name) == (Role.AGENT, "Ann Berg")  # nothing of it was written
    # an admin acting as another agent changes Ann's role
    admin = add_agent(tenant, "Adam")
    _update_agent(tenant, tenant.actor, admin.id, AgentFields(role=Role.ADMIN))
    as_admin = sessions.agent_actor(_stored_agent(tenant, admin.id))
    assert _update_agent(tenant, as_admin, ann.id, AgentFields(role=Role.ADMIN)).role is Role.ADMIN


def test_a_new_address_is_stored_normalised_and_kept_unique_in_the_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills update_agent's e-mail branch: `email is None`, the lookup's account or address
    # dropped, `or` for `and` and `==` for `!=` in the clash test, the Conflict's code,
    # message and field, and the "email" key in another spelling
    ann, bob = add_agent(tenant, "Ann"), add_agent(tenant, "Bob")
    eve = add_agent(other_tenant, "Eve")
    own_again = ann.email.replace("example.com", "EXAMPLE.com")
    assert _update_agent(tenant, tenant.actor, ann.id, AgentFields(email=own_again)) == ann
    moved = tenant.address("ann.moved").replace("example.com", "Example.COM")
    updated = _update_agent(tenant, tenant.actor, ann.id, AgentFields(email=f" {moved} "))
    expected = moved.replace("Example.COM", "example.com")
    assert updated.email == expected == _stored_agent(tenant, ann.id).email
    # another account's agent may have the same address
    shared = _update_agent(tenant, tenant.actor, ann.id, AgentFields(email=eve.email))
    assert shared.email == eve.email
    with pytest.raises(Conflict) as clash:
        _update_agent(tenant, tenant.actor, ann.id, AgentFields(email=bob.email, name="Clash"))
    assert (clash.value.code, clash.value.message, clash.value.field) == (
        "agent_exists",
        f"An agent with e-mail {bob.email} exists",
        "email",
    )
    stored = _stored_agent(tenant, ann.id)
    assert (stored.email, stored.name) == (eve.email, "Ann")


def test_the_last_owner_changes_everything_but_the_role_and_each_update_is_recorded(
    tenant: Tenant,
) -> None:
    # kills update_agent's owner test (`values.get("role", None)` and other defaults, `is`
    # for `is not`), `if not values`, and the event's kind, time and agent_id
    owner = add_agent(tenant, "Olle")
    before = now_ms()
    _update_agent(tenant, tenant.actor, owner.id, AgentFields(role=Role.OWNER))
    renamed = _update_agent(tenant, tenant.actor, owner.id, AgentFields(name="Olle Owner"))
    kept = _update_agent(tenant, tenant.actor, owner.id, AgentFields(role=Role.OWNER))
    untouched = _update_agent(tenant, tenant.actor, owner.id, AgentFields())
    assert renamed == kept == untouched == _stored_agent(tenant, owner.id)
    assert (untouched.name, untouched.role) == ("Olle Owner", Role.OWNER)
    assert recorded(tenant, "agent.updated") == [("test", {"agent_id": owner.id})] * 4
    with tenant.services.store.read() as uow:
        stamps = uow.conn.execute(
            select(t.events.c.created).where(
                t.events.c.account_id == tenant.id, t.events.c.kind == "agent.updated"
            )
        ).scalars()
        assert all(before <= stamp <= now_ms() for stamp in stamps)


def test_an_agents_inboxes_are_set_sorted_and_once_and_only_from_their_account(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # kills update_agent's `inbox_ids is None` and the inboxes written for another agent
    ann, bob = add_agent(tenant, "Ann"), add_agent(tenant, "Bob")
    with tenant.services.store.write() as uow:
        first = accounts.create_inbox(uow, tenant.actor, "First", tenant.address("first"))
        second = accounts.create_inbox(uow, tenant.actor, "Second", tenant.address("second"))
    with other_tenant.services.store.write() as uow:
        theirs = accounts.create_inbox(uow, other_tenant.actor, "Theirs", other_tenant.address("t"))
    chosen = AgentFields(inbox_ids=[second.id, first.id, second.id])
    assert _update_agent(tenant, tenant.actor, ann.id, chosen).inbox_ids == (first.id, second.id)
    assert _stored_agent(tenant, ann.id).inbox_ids == (first.id, second.id)
    assert _stored_agent(tenant, bob.id).inbox_ids == ()
    with pytest.raises(NotFound) as missing:
        _update_agent(tenant, tenant.actor, ann.id, AgentFields(inbox_ids=[theirs.id]))
    assert missing.value.code == "inbox_not_found"
    assert _update_agent(tenant, tenant.actor, ann.id, AgentFields(name="Ann B")).inbox_ids == (
        first.id,
        second.id,
    )  # left as they were when not given
    assert _update_agent(tenant, tenant.actor, ann.id, AgentFields(inbox_ids=[])).inbox_ids == ()


def test_roles_are_read_by_their_exact_names() -> None:
    # kills team.parse_role's Role(None) and its Invalid's code, message and field
    assert [team.parse_role(name) for name in ("owner", "admin", "agent")] == [
        Role.OWNER,
        Role.ADMIN,
        Role.AGENT,
    ]
    for wrong in ("king", "Admin", ""):
        with pytest.raises(Invalid) as refused:
            team.parse_role(wrong)
        assert (refused.value.code, refused.value.message, refused.value.field) == (
            "invalid_role",
            "owner, admin or agent",
            "role",
        )


def test_an_invited_agent_gets_a_week_long_link_and_the_invitation_is_recorded(
    tenant: Tenant,
) -> None:
    # kills team.invite_agent's link lifetime (INVITATION_MS, `+`) and its event's data
    email = tenant.address("invited")
    before = now_ms()
    with tenant.services.store.write() as uow:
        link = team.invite_agent(uow, tenant.actor, "Ines", email, Role.ADMIN)
    after = now_ms()
    assert before + 7 * 86_400_000 <= link.expires <= after + 7 * 86_400_000
    invited = _stored_agent(tenant, link.agent.id)
    assert (invited.name, invited.email, invited.role, invited.password_hash) == (
        "Ines",
        email,
        Role.ADMIN,
        None,
    )
    with tenant.services.store.read() as uow:
        assert sessions.check_reset(uow, link.token).id == link.id
    assert recorded(tenant, team.AGENT_INVITED) == [
        ("test", {"agent_id": invited.id, "reset_id": link.id})
    ]
