"""Rules in the web app over HTTP, on both databases: edit, move, delete; a refused rule
comes back in its form with the reason; CSRF on every change; agents read, admins
change; another account's rule is a 404."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from frontdesk.core.rules import define
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Rule, RuleKind
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

BASE = "/settings/rules/triggers"


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def rule(tenant: Tenant, name: str) -> Rule:
    fields = RuleFields(name, conditions=(Condition("event", "is", "ticket.opened"),),
                        actions=(Action("add_tags", ("x",)),))  # fmt: skip
    with tenant.services.store.write() as uow:
        return define.create_rule(uow, tenant.actor, RuleKind.TRIGGER, fields)


def names(tenant: Tenant) -> list[str]:
    with tenant.services.store.read() as uow:
        return [r.name for r in define.list_rules(uow, tenant.actor, RuleKind.TRIGGER)]


def test_edit_move_and_delete(web_app: FastAPI, desk: Desk) -> None:
    first, second = rule(desk.tenant, "First"), rule(desk.tenant, "Second")
    client = signed_in(web_app, admin_of(desk))
    page = client.get(f"{BASE}/{first.id}")
    assert page.status_code == 200 and 'value="First"' in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "rows": "2", "name": "First, renamed", "active": "on",
            "match": "any", "cs0": "tags", "co0": "has_any", "cv0": "a, b",
            "ak0": "set_priority", "av0": "high"}  # fmt: skip
    assert client.post(f"{BASE}/{first.id}", data=form).status_code == 200  # after the redirect
    with desk.services.store.read() as uow:
        changed = define.get_rule(uow, desk.tenant.actor, first.id)
    assert (changed.name, changed.match.value) == ("First, renamed", "any")
    assert changed.conditions == (Condition("tags", "has_any", ("a", "b")),)
    assert changed.actions == (Action("set_priority", "high"),)
    client.post(f"{BASE}/{second.id}/move", data={"csrf_token": token, "direction": "up"})
    assert names(desk.tenant) == ["Second", "First, renamed"]
    client.post(f"{BASE}/{second.id}/delete", data={"csrf_token": token})
    assert names(desk.tenant) == ["First, renamed"]


def test_a_refused_rule_comes_back_in_its_form(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, admin_of(desk))
    token = csrf_of(client.get(BASE).text)
    form = {"csrf_token": token, "rows": "1", "name": "Bad", "ak0": "set_status", "av0": "done"}
    answer = client.post(BASE, data=form)
    assert answer.status_code == 422
    assert "&#39;done&#39; is not a status" in answer.text and 'value="Bad"' in answer.text
    assert names(desk.tenant) == []


def test_changes_need_csrf_and_an_admin(web_app: FastAPI, desk: Desk) -> None:
    mine = rule(desk.tenant, "Mine")
    admin = signed_in(web_app, admin_of(desk))
    no_token = admin.post(f"{BASE}/{mine.id}/delete", data={})
    assert no_token.status_code == 403 and names(desk.tenant) == ["Mine"]
    agent = signed_in(web_app, desk.agent.email)
    page = agent.get(BASE)
    assert page.status_code == 200 and "Owners and admins of the account change these." in page.text
    refused = agent.post(f"{BASE}/{mine.id}/delete", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403 and names(desk.tenant) == ["Mine"]


def test_another_accounts_rule_is_not_found(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    theirs = rule(other_tenant, "Theirs")
    client = signed_in(web_app, admin_of(desk))
    token = csrf_of(client.get(BASE).text)
    assert client.get(f"{BASE}/{theirs.id}").status_code == 404
    gone = client.post(f"{BASE}/{theirs.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 404 and names(other_tenant) == ["Theirs"]
    assert client.get("/settings/rules/nonsense").status_code == 404


def test_a_time_rule_on_an_sla_subject_is_made_in_the_form(web_app: FastAPI, desk: Desk) -> None:
    client = signed_in(web_app, admin_of(desk))
    page = client.get("/settings/rules/time-rules")
    assert "SLA: minutes until first response is due" in page.text  # offered in the editor
    form = {"csrf_token": csrf_of(page.text), "rows": "2", "name": "Breaching soon",
            "active": "on", "match": "all",
            "cs0": "sla.first_response_due_minutes", "co0": "at_most", "cv0": "60",
            "cs1": "sla.breached", "co1": "is", "cv1": "false",
            "ak0": "add_tags", "av0": "sla-soon"}  # fmt: skip
    assert client.post("/settings/rules/time-rules", data=form).status_code == 200
    with desk.services.store.read() as uow:
        (made,) = define.list_rules(uow, desk.tenant.actor, RuleKind.TIME_RULE)
    assert made.conditions == (
        Condition("sla.first_response_due_minutes", "at_most", "60"),
        Condition("sla.breached", "is", "false"),
    )
    refused = client.post(
        "/settings/rules/time-rules",
        data={**form, "name": "Wrong", "co0": "is", "cs1": ""},
    )
    assert refused.status_code == 422 and "at_least, at_most" in refused.text
