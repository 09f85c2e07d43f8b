"""Settings, Audit log over HTTP, on both databases: the events of the account's own
changes, newest first, filtered by agent, object and days, exported as CSV (formulas
made inert); agents and other accounts kept out."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import PASSWORD, Desk, csrf_of, make_desk, signed_in


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _admin(desk: Desk, name: str) -> tuple[int, str]:
    email = desk.tenant.address("boss")
    with desk.services.store.write() as uow:
        fields = AgentFields(name=name, email=email, password=PASSWORD, role=Role.ADMIN)
        made = accounts.create_agent(uow, desk.tenant.actor, fields)
    return made.id, email


def test_an_admin_sees_who_changed_what_and_filters_it(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    admin_id, email = _admin(desk, "Ada Admin")
    admin = signed_in(web_app, email)
    token = csrf_of(admin.get("/settings/agents").text)
    admin.post(f"/settings/agents/{desk.agent.id}/deactivate", data={"csrf_token": token})
    other = make_desk(desk.services, other_tenant)
    with desk.services.store.write() as uow:
        accounts.update_inbox(uow, other.tenant.actor, other.inbox.id, name="Elsewhere")

    page = admin.get("/settings/audit")
    assert page.status_code == 200
    rows = page.text.split("<tbody>", 1)[1]
    assert "agent.deactivated" in rows and "Ada Admin" in rows
    assert rows.index("agent.deactivated") < rows.index("agent.created")  # newest first
    assert f"inbox_id={other.inbox.id}" not in rows  # another account's change
    mine = admin.get(f"/settings/audit?agent={admin_id}").text.split("<tbody>", 1)[1]
    assert "agent.deactivated" in mine and "agent.created" not in mine  # the test made those
    inboxes = admin.get("/settings/audit?object=inbox").text
    assert "agent.deactivated" not in inboxes and "inbox.created" in inboxes
    later = admin.get("/settings/audit?start=2999-01-01").text
    assert "agent.deactivated" not in later and "Nothing recorded" in later
    assert admin.get("/settings/audit?start=someday").status_code == 422
    assert admin.get("/settings/audit?start=2026-02-02&end=2026-02-01").status_code == 422


def test_the_export_is_csv_with_formulas_made_inert(web_app: FastAPI, desk: Desk) -> None:
    _admin_id, email = _admin(desk, '=HYPERLINK("http://x")')
    admin = signed_in(web_app, email)
    token = csrf_of(admin.get("/settings/agents").text)
    admin.post(f"/settings/agents/{desk.agent.id}/deactivate", data={"csrf_token": token})
    export = admin.get("/settings/audit.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    [deactivated] = [row for row in rows if row["what"] == "agent.deactivated"]
    assert deactivated["who"] == '\'=HYPERLINK("http://x")'
    assert f'"agent_id": {desk.agent.id}' in deactivated["details"]
    assert deactivated["time_utc"].endswith("+00:00")
    only_inboxes = list(
        csv.DictReader(io.StringIO(admin.get("/settings/audit.csv?object=inbox").text))
    )
    assert only_inboxes and all(row["what"].startswith("inbox.") for row in only_inboxes)


def test_agents_cannot_read_it(web_app: FastAPI, desk: Desk) -> None:
    agent = signed_in(web_app, desk.agent.email)
    assert agent.get("/settings/audit").status_code == 403
    assert agent.get("/settings/audit.csv").status_code == 403
