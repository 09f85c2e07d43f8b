"""Settings, Agents over HTTP, on both databases: invite by mail (the link sets a
password once), role, inboxes and chat limit, deactivate (sessions end at once), an
agent's sessions; the role and tenancy checks; the audit trail of each change."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.core.chat import presence
from frontdesk.core.identity import accounts, sessions, team
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Role
from frontdesk.core.shared.errors import NotFound
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _agent(desk: Desk, email: str) -> Agent | None:
    with desk.services.store.read() as uow:
        found = [a for a in accounts.list_agents(uow, desk.tenant.actor) if a.email == email]
    return found[0] if found else None


def _outbox(services: Services, address: str) -> list[Any]:
    with services.store.engine.connect() as conn:
        query = select(t.outbox).where(t.outbox.c.to_addr == address).order_by(t.outbox.c.id)
        return list(conn.execute(query))


def _kinds(desk: Desk) -> list[str]:
    with desk.services.store.engine.connect() as conn:
        query = select(t.events.c.kind).where(t.events.c.account_id == desk.tenant.id)
        return list(conn.execute(query).scalars())


def _invite(client: TestClient, name: str, email: str, role: str = "agent") -> Any:
    token = csrf_of(client.get("/settings/agents").text)
    form = {"csrf_token": token, "name": name, "email": email, "role": role}
    return client.post("/settings/agents/invite", data=form, follow_redirects=False)


def test_an_invitation_is_mailed_and_its_link_sets_a_password_once(
    web_app: FastAPI, desk: Desk
) -> None:
    admin = signed_in(web_app, admin_of(desk))
    email = desk.tenant.address("nova")
    assert _invite(admin, "Nova Ek", email, "admin").status_code == 303
    invited = _agent(desk, email)
    assert invited is not None and invited.role is Role.ADMIN and invited.password_hash is None
    [mail] = _outbox(desk.services, email)
    assert mail.kind == "agent_invitation" and mail.from_addr == desk.inbox.email
    assert mail.subject == "Join Tenant A on Frontdesk"
    link = re.search(r"http://frontdesk\.test(/login/welcome/\S+)", mail.body)
    assert link is not None
    assert "agent.invited" in _kinds(desk)
    page = admin.get("/settings/agents")
    assert "Nova Ek" in page.text and "Invited" in page.text

    visitor = TestClient(web_app)
    form = visitor.get(link.group(1))
    assert form.status_code == 200 and "Welcome: choose your password" in form.text
    short = visitor.post(
        link.group(1), data={"password": "short", "csrf_token": csrf_of(form.text)}
    )
    assert short.status_code == 422
    done = visitor.post(
        link.group(1), data={"password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/login?welcome=1"
    assert visitor.get(link.group(1)).status_code == 404  # once only
    assert signed_in(web_app, email).get("/settings/account").status_code == 200  # an admin


def test_a_bad_or_taken_address_is_a_form_error_and_creates_nothing(
    web_app: FastAPI, desk: Desk
) -> None:
    admin = signed_in(web_app, admin_of(desk))
    taken = _invite(admin, "Alva Again", desk.agent.email)
    assert taken.status_code == 409 and "exists already" in taken.text
    assert 'value="Alva Again"' in taken.text  # what was typed stays
    bad = _invite(admin, "No Address", "not-an-address")
    assert bad.status_code == 422 and "not a valid e-mail address" in bad.text
    assert _agent(desk, "not-an-address") is None
    assert _outbox(desk.services, desk.agent.email) == []


def test_an_agent_can_neither_invite_nor_change_anyone(web_app: FastAPI, desk: Desk) -> None:
    agent = signed_in(web_app, desk.agent.email)
    token = csrf_of(agent.get("/settings/profile").text)
    email = desk.tenant.address("sneaky")
    invite = {"csrf_token": token, "name": "Sneaky", "email": email, "role": "owner"}
    assert agent.post("/settings/agents/invite", data=invite).status_code == 403
    assert _agent(desk, email) is None
    own = {"csrf_token": token, "role": "owner"}
    assert agent.post(f"/settings/agents/{desk.agent.id}", data=own).status_code == 403
    assert agent.get("/settings/agents").status_code == 403
    assert _agent(desk, desk.agent.email).role is Role.AGENT  # type: ignore[union-attr]


def test_an_admin_sets_role_inboxes_and_chat_limit_but_not_their_own_role(
    web_app: FastAPI, desk: Desk
) -> None:
    admin_email = admin_of(desk)
    admin = signed_in(web_app, admin_email)
    page = admin.get(f"/settings/agents/{desk.agent.id}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    form = {"csrf_token": token, "role": "admin", "inbox_ids": [str(desk.inbox.id)],
            "chat_limit": "3"}  # fmt: skip
    assert admin.post(f"/settings/agents/{desk.agent.id}", data=form).status_code == 200
    changed = _agent(desk, desk.agent.email)
    assert changed is not None and changed.role is Role.ADMIN
    assert changed.inbox_ids == (desk.inbox.id,)
    with desk.services.store.read() as uow:
        assert presence.limits(uow, desk.tenant.actor)[desk.agent.id] == 3
    assert {"agent.updated", "chat.agent_status"} <= set(_kinds(desk))

    me = _agent(desk, admin_email)
    assert me is not None
    own = {"csrf_token": token, "role": "owner"}
    assert admin.post(f"/settings/agents/{me.id}", data=own).status_code == 403
    assert _agent(desk, admin_email).role is Role.ADMIN  # type: ignore[union-attr]
    for bad in ({"role": "king"}, {"role": "agent", "chat_limit": "0"},
                {"role": "agent", "chat_limit": "many"}):  # fmt: skip
        answer = admin.post(f"/settings/agents/{desk.agent.id}", data={"csrf_token": token, **bad})
        assert answer.status_code == 422, bad
    assert _agent(desk, desk.agent.email).role is Role.ADMIN  # type: ignore[union-attr]


def test_another_accounts_agents_and_inboxes_are_not_found(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    other = make_desk(desk.services, other_tenant)
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/agents").text)
    assert admin.get(f"/settings/agents/{other.agent.id}").status_code == 404
    deactivate = admin.post(f"/settings/agents/{other.agent.id}/deactivate",
                            data={"csrf_token": token})  # fmt: skip
    assert deactivate.status_code == 404
    foreign_inbox = {"csrf_token": token, "role": "agent", "inbox_ids": [str(other.inbox.id)]}
    assert admin.post(f"/settings/agents/{desk.agent.id}", data=foreign_inbox).status_code == 404
    assert _agent(desk, desk.agent.email).inbox_ids == ()  # type: ignore[union-attr]
    with desk.services.store.read() as uow:
        assert accounts.get_agent(uow, other.tenant.actor, other.agent.id).deactivated is None


def test_deactivating_ends_every_session_at_once_and_blocks_sign_in(
    web_app: FastAPI, desk: Desk
) -> None:
    laptop = signed_in(web_app, desk.agent.email)
    phone = signed_in(web_app, desk.agent.email)
    admin = signed_in(web_app, admin_of(desk))
    page = admin.get(f"/settings/agents/{desk.agent.id}")
    assert page.text.count("End session") == 2
    token = csrf_of(page.text)
    admin.post(f"/settings/agents/{desk.agent.id}/deactivate", data={"csrf_token": token})
    for client in (laptop, phone):
        gone = client.get("/tickets", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    login = TestClient(web_app)
    form = login.get("/login")
    refused = login.post("/login", data={"email": desk.agent.email, "password": PASSWORD,
                         "csrf_token": csrf_of(form.text)}, follow_redirects=False)  # fmt: skip
    assert refused.status_code != 303
    assert "agent.deactivated" in _kinds(desk)
    admin.post(f"/settings/agents/{desk.agent.id}/reactivate", data={"csrf_token": token})
    assert signed_in(web_app, desk.agent.email).get("/tickets").status_code == 200


def test_an_admin_ends_one_of_an_agents_sessions(web_app: FastAPI, desk: Desk) -> None:
    laptop = signed_in(web_app, desk.agent.email)
    phone = signed_in(web_app, desk.agent.email)
    admin = signed_in(web_app, admin_of(desk))
    page = admin.get(f"/settings/agents/{desk.agent.id}")
    ends = re.findall(rf'action="(/settings/agents/{desk.agent.id}/sessions/\d+/end)"', page.text)
    assert len(ends) == 2
    admin.post(ends[0], data={"csrf_token": csrf_of(page.text)})  # the newest: the phone
    assert phone.get("/tickets", follow_redirects=False).status_code == 303
    assert laptop.get("/tickets", follow_redirects=False).status_code == 200
    again = admin.post(ends[0], data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 404


def test_an_admin_cannot_deactivate_themselves_nor_the_last_owner(
    web_app: FastAPI, desk: Desk
) -> None:
    admin_email = admin_of(desk)
    admin = signed_in(web_app, admin_email)
    me = _agent(desk, admin_email)
    assert me is not None
    token = csrf_of(admin.get("/settings/agents").text)
    mine = admin.post(f"/settings/agents/{me.id}/deactivate", data={"csrf_token": token})
    assert mine.status_code == 409 and _agent(desk, admin_email).deactivated is None  # type: ignore[union-attr]
    with desk.services.store.write() as uow:
        fields = AgentFields(name="Olle Owner", email=desk.tenant.address("olle"), role=Role.OWNER)
        owner = accounts.create_agent(uow, desk.tenant.actor, fields)
    last = admin.post(f"/settings/agents/{owner.id}/deactivate", data={"csrf_token": token})
    assert last.status_code == 409 and _agent(desk, owner.email).deactivated is None  # type: ignore[union-attr]


def _team(desk: Desk) -> list[Agent]:
    with desk.services.store.read() as uow:
        return accounts.list_agents(uow, desk.tenant.actor)


def _logged(services: Services, account_id: int, kind: str) -> list[dict[str, Any]]:
    with services.store.engine.connect() as conn:
        rows = conn.execute(
            select(t.events.c.data)
            .where(t.events.c.account_id == account_id, t.events.c.kind == kind)
            .order_by(t.events.c.id)
        ).scalars()
        return [json.loads(data) for data in rows]


def test_ending_an_agents_session_and_reactivating_them_are_recorded_in_the_core(
    web_app: FastAPI, desk: Desk
) -> None:
    # kills end_agent_session's not-found code and message and its event's ids, and
    # reactivate_agent's event without agent_id (core/identity's team)
    services, tenant, agent = desk.services, desk.tenant, desk.agent
    signed_in(web_app, agent.email)
    with services.store.read() as uow:
        (live,) = team.agent_sessions(uow, tenant.actor, agent.id)
    with pytest.raises(NotFound) as missing, services.store.write() as uow:
        team.end_agent_session(uow, tenant.actor, agent.id, live.id + 1_000_000)
    assert (missing.value.code, missing.value.message) == (
        "session_not_found",
        f"No session {live.id + 1_000_000}",
    )
    with services.store.write() as uow:
        team.end_agent_session(uow, tenant.actor, agent.id, live.id)
    with services.store.read() as uow:
        assert team.agent_sessions(uow, tenant.actor, agent.id) == []
    assert _logged(services, tenant.id, sessions.SESSION_ENDED)[-1] == {
        "session_id": live.id, "agent_id": agent.id
    }  # fmt: skip
    with services.store.write() as uow:
        team.deactivate_agent(uow, tenant.actor, agent.id)
    with services.store.write() as uow:
        back = team.reactivate_agent(uow, tenant.actor, agent.id)
    assert back.deactivated is None
    assert _logged(services, tenant.id, team.AGENT_REACTIVATED) == [{"agent_id": agent.id}]
