"""Settings, API keys over HTTP, on both databases: a key with chosen scopes, its secret
shown once and working in the API until revoked; customer tokens; role and tenancy."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from frontdesk.core.identity import credentials
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.records import Scope
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def test_a_key_is_shown_once_works_with_its_scopes_and_stops_when_revoked(
    web_app: FastAPI, desk: Desk
) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/keys").text)
    made = admin.post("/settings/keys", data={"csrf_token": token, "name": "Billing",
                      "scopes": ["tickets:read"]})  # fmt: skip
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret">(fdk_[^<]+)<', made.text)
    assert secret is not None
    key = secret.group(1)
    with desk.services.store.engine.connect() as conn:
        stored = conn.execute(select(t.credentials.c.secret_hash)).scalars().all()
    assert not any(key.rsplit("_", 1)[1] in value for value in stored)
    again = admin.get("/settings/keys")
    assert key not in again.text and "Billing" in again.text and "never used" in again.text

    api = admin  # any client: the API reads the key, not the cookie
    bearer = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/tickets", headers=bearer).status_code == 200
    assert api.post("/api/v1/tickets", headers=bearer, json={}).status_code == 403  # read only
    assert "last used" in admin.get("/settings/keys").text

    with desk.services.store.read() as uow:
        [billing] = [k for k in credentials.list_credentials(uow, desk.tenant.actor,
                     CredentialKind.API_KEY) if k.name == "Billing"]  # fmt: skip
    revoked = admin.post(f"/settings/keys/keys/{billing.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 200 and "Revoked" in revoked.text
    assert api.get("/api/v1/tickets", headers=bearer).status_code == 401


def test_scopes_must_be_chosen_from_the_list(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/keys").text)
    none = admin.post("/settings/keys", data={"csrf_token": token, "name": "Nothing"})
    assert none.status_code == 422 and "at least one scope" in none.text
    odd = admin.post("/settings/keys", data={"csrf_token": token, "name": "Odd",
                     "scopes": ["root"]})  # fmt: skip
    assert odd.status_code == 422 and "fdk_" not in odd.text


def test_a_customer_token_is_made_for_an_address(web_app: FastAPI, desk: Desk) -> None:
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/keys").text)
    made = admin.post("/settings/keys/tokens", data={"csrf_token": token,
                      "email": "cora@example.com"})  # fmt: skip
    assert made.status_code == 201 and re.search(r'id="new-secret">fdc_', made.text)
    bad = admin.post("/settings/keys/tokens", data={"csrf_token": token, "email": "nope"})
    assert bad.status_code == 422


def test_agents_and_other_accounts_are_kept_out(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    agent = signed_in(web_app, desk.agent.email)
    agent_token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get("/settings/keys").status_code == 403
    sneaky = agent.post("/settings/keys", data={"csrf_token": agent_token, "name": "Mine",
                        "scopes": ["admin"]})  # fmt: skip
    assert sneaky.status_code == 403
    with desk.services.store.write() as uow:
        theirs = credentials.issue_api_key(uow, other_tenant.actor, "Theirs", [Scope.ADMIN])
    admin = signed_in(web_app, admin_of(desk))
    token = csrf_of(admin.get("/settings/keys").text)
    revoke = admin.post(f"/settings/keys/keys/{theirs.credential.id}/revoke",
                        data={"csrf_token": token})  # fmt: skip
    assert revoke.status_code == 404
    with desk.services.store.read() as uow:
        [still] = [k for k in credentials.list_credentials(uow, other_tenant.actor,
                   CredentialKind.API_KEY) if k.name == "Theirs"]  # fmt: skip
    assert still.revoked is None
