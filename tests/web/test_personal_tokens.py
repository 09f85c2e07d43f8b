"""Personal API tokens on both databases: made on the security page (shown once, stored
hashed), used as the agent in the native API and a vendor dialect (InboxOps), limited to
their scopes and the agent's role, revoked, and ended with the agent's access."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from frontdesk.core.identity import credentials, team
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.errors import Forbidden, NotFound, Unauthenticated
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in

_TOKEN = re.compile(r"data-token-secret>(fdp_[0-9a-f]{16}_[A-Za-z0-9_-]{43})<")


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def make_token(client: TestClient, name: str, *scopes: str) -> Any:
    page = client.get("/settings/security")
    return client.post(
        "/settings/security/tokens",
        data={"name": name, "scopes": list(scopes), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def token_of(answer: Any) -> str:
    assert answer.status_code == 200, answer.text[:300]
    found = _TOKEN.search(answer.text)
    assert found, "the new token is shown"
    return found.group(1)


def _tokens(services: Services, agent_id: int) -> list[Any]:
    with services.store.engine.connect() as conn:
        creds = t.credentials
        return list(conn.execute(select(creds).where(creds.c.agent_id == agent_id)))


def _new_ticket(desk: Desk, client: TestClient, token: str) -> Any:
    body = {
        "subject": "Made by a script",
        "requester_email": desk.tenant.address("customer"),
        "inbox_id": desk.inbox.id,
        "message": {"body": "Hello from the nightly job."},
    }
    return client.post("/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"})


def _actors(services: Services, ticket_id: int) -> set[str]:
    with services.store.engine.connect() as conn:
        events = t.events
        return set(
            conn.execute(select(events.c.actor).where(events.c.ticket_id == ticket_id)).scalars()
        )


def test_a_token_is_shown_once_and_stored_hashed(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = token_of(make_token(client, "Nightly export", "tickets:read"))
    [row] = _tokens(desk.services, desk.agent.id)
    secret = token.split("_", 2)[2]  # the secret may hold "_" itself
    assert row.kind == "personal" and row.scopes == "tickets:read"
    assert secret not in str(tuple(row))
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    page = client.get("/settings/security")
    assert "Nightly export" in page.text and token not in page.text and "never used" in page.text


def test_a_token_acts_as_its_agent_in_the_native_api_and_in_inboxops(
    web_app: FastAPI, desk: Desk
) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = token_of(make_token(client, "Script", "tickets:read", "tickets:write"))
    api = TestClient(web_app)
    created = _new_ticket(desk, api, token)
    assert created.status_code == 201, created.text
    assert _actors(desk.services, created.json()["id"]) == {f"agent:{desk.agent.id}"}
    listed = api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    # The same token in a vendor dialect: InboxOps takes a Bearer key and a workspace.
    workspace = desk.tenant.account.public_id
    headers = {"Authorization": f"Bearer {token}", "x-workspace-id": workspace}
    made = api.post(
        f"/v1/workspaces/{workspace}/tickets",
        json={"subject": "From InboxOps", "body": "A question."},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    with desk.services.store.engine.connect() as conn:
        ticket_id = conn.execute(
            select(t.tickets.c.id).where(t.tickets.c.subject == "From InboxOps",
                                         t.tickets.c.account_id == desk.tenant.id)
        ).scalar_one()  # fmt: skip
    assert _actors(desk.services, ticket_id) == {f"agent:{desk.agent.id}"}
    [row] = _tokens(desk.services, desk.agent.id)
    assert row.last_used is not None
    assert "last used" in client.get("/settings/security").text


def test_a_token_holds_only_its_scopes_and_the_agents_role(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    refused = make_token(client, "Too much", "tickets:read", "admin")  # an agent is no admin
    assert refused.status_code == 422 and "Choose at least one scope you hold." in refused.text
    assert make_token(client, "Nothing").status_code == 422
    assert make_token(client, "", "tickets:read").status_code == 422
    assert _tokens(desk.services, desk.agent.id) == []
    token = token_of(make_token(client, "Reader", "tickets:read"))
    api = TestClient(web_app)
    assert _new_ticket(desk, api, token).status_code == 403
    # A token made with admin by an admin loses it when the admin becomes an agent.
    with desk.services.store.engine.begin() as conn:
        conn.execute(
            update(t.credentials)
            .where(t.credentials.c.agent_id == desk.agent.id)
            .values(scopes="admin tickets:read")
        )
    keys = api.get("/api/v1/api-keys", headers={"Authorization": f"Bearer {token}"})
    assert keys.status_code == 403


def test_revoked_tokens_stop_and_another_agents_token_is_not_found(
    web_app: FastAPI, desk: Desk
) -> None:
    mine = signed_in(web_app, desk.agent.email)
    theirs = signed_in(web_app, desk.colleague.email)
    token = token_of(make_token(mine, "Nightly mine", "tickets:read"))
    token_of(make_token(theirs, "Theirs", "tickets:read"))
    [their_row] = _tokens(desk.services, desk.colleague.id)
    page = mine.get("/settings/security")
    stolen = mine.post(
        f"/settings/security/tokens/{their_row.id}/revoke",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert stolen.status_code == 404
    assert _tokens(desk.services, desk.colleague.id)[0].revoked is None
    [row] = _tokens(desk.services, desk.agent.id)
    done = mine.post(
        f"/settings/security/tokens/{row.id}/revoke",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    answer = TestClient(web_app).get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    assert "Nightly mine" not in mine.get("/settings/security").text


def test_an_api_key_prefix_on_a_personal_token_is_refused(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = token_of(make_token(client, "Script", "tickets:read"))
    disguised = "fdk_" + token.split("_", 1)[1]
    answer = TestClient(web_app).get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {disguised}"}
    )
    assert answer.status_code == 401


def test_an_admin_revokes_every_token_of_an_agent(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = token_of(make_token(client, "Script", "tickets:read"))
    other = token_of(make_token(client, "Backup", "tickets:read"))
    theirs = token_of(make_token(signed_in(web_app, desk.colleague.email), "Own", "tickets:read"))
    api = TestClient(web_app)

    def status(key: str) -> int:
        return api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {key}"}).status_code

    # An agent may not revoke another agent's tokens; an admin may.
    with pytest.raises(Forbidden, match="Only an admin"), desk.services.store.write() as uow:
        credentials.revoke_agent_tokens(uow, agent_actor(desk.colleague), desk.agent.id)
    assert status(token) == 200
    with desk.services.store.write() as uow:
        assert credentials.revoke_agent_tokens(uow, desk.tenant.actor, desk.agent.id) == 2
    assert (status(token), status(other), status(theirs)) == (401, 401, 200)


def test_deactivating_an_agent_ends_their_tokens(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, desk.agent.email)
    token = token_of(make_token(client, "nightly", "tickets:read"))
    api = TestClient(web_app)

    def status() -> int:
        return api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code

    assert status() == 200
    with desk.services.store.write() as uow:
        team.deactivate_agent(uow, desk.tenant.actor, desk.agent.id)
    assert status() == 401
    assert all(row.revoked for row in _tokens(desk.services, desk.agent.id))


def test_revoking_another_agents_token_in_the_core_is_not_found_by_its_id(desk: Desk) -> None:
    # kills revoke_personal_token's NotFound code and message mutants
    services = desk.services
    with services.store.write() as uow:
        theirs = credentials.issue_personal_token(
            uow, agent_actor(desk.colleague), "Theirs", [Scope.TICKETS_READ]
        )
    credential_id = theirs.credential.id
    with pytest.raises(NotFound) as missing, services.store.write() as uow:
        credentials.revoke_personal_token(uow, agent_actor(desk.agent), credential_id)
    assert (missing.value.code, missing.value.message) == (
        "credential_not_found",
        f"No personal token {credential_id}",
    )
    assert _tokens(services, desk.colleague.id)[0].revoked is None


def test_a_personal_token_acts_as_its_agent_until_the_agent_is_deactivated(desk: Desk) -> None:
    # kills _personal_actor's `agent is None and ...`, its Unauthenticated code and message,
    # and the actor's agent_id dropped; the row is changed directly, so that the token is
    # still live when its agent is not (deactivate_agent revokes them too)
    services = desk.services
    with services.store.write() as uow:
        issued = credentials.issue_personal_token(
            uow, agent_actor(desk.agent), "Nightly", [Scope.TICKETS_READ]
        )
    with services.store.read() as uow:
        actor, _stale = credentials.authenticate(uow, issued.token, CredentialKind.PERSONAL)
    assert (actor.agent_id, actor.credential_id) == (desk.agent.id, issued.credential.id)
    assert actor.scopes == frozenset({Scope.TICKETS_READ})
    with services.store.engine.begin() as conn:
        conn.execute(update(t.agents).where(t.agents.c.id == desk.agent.id).values(deactivated=1))
    with services.store.read() as uow, pytest.raises(Unauthenticated) as refused:
        credentials.authenticate(uow, issued.token, CredentialKind.PERSONAL)
    assert (refused.value.code, refused.value.message) == (
        "invalid_credentials",
        "The key is not valid",
    )
