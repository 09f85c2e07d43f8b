"""Settings, Ticket fields over HTTP, on both databases: categories, departments and
custom fields added, renamed and removed (refused while tickets use one); labels listed
with their tickets, renamed on those tickets, removed; bad input, agents, CSRF, tenancy."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.tickets import taxonomy
from frontdesk.core.tickets.records import LabelUse
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

PAGE = "/settings/fields"
KINDS = {"categories": "category", "departments": "department", "custom-fields": "custom_field"}


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _admin(web_app: FastAPI, desk: Desk) -> tuple[TestClient, str]:
    admin = signed_in(web_app, admin_of(desk))
    return admin, csrf_of(admin.get(PAGE).text)


def _names(desk: Desk, kind: str) -> list[str]:
    with desk.services.store.read() as uow:
        return [named.name for named in taxonomy.list_named(uow, desk.tenant.actor, kind)]


def _labels(desk: Desk) -> list[LabelUse]:
    with desk.services.store.read() as uow:
        return taxonomy.list_labels(uow, desk.tenant.actor)


@pytest.mark.parametrize("section", list(KINDS))
def test_an_admin_adds_renames_and_removes(web_app: FastAPI, desk: Desk, section: str) -> None:
    admin, token = _admin(web_app, desk)
    kind = KINDS[section]
    added = admin.post(f"{PAGE}/{section}", data={"csrf_token": token, "name": " Billing "})
    assert added.status_code == 200 and "Added." in added.text  # after the 303
    assert _names(desk, kind) == ["Billing"]
    with desk.services.store.read() as uow:
        billing = taxonomy.find_named(uow, desk.tenant.actor, kind, "Billing")
    assert 'value="Billing"' in admin.get(PAGE).text
    renamed = admin.post(f"{PAGE}/{section}/{billing.id}/rename",
                         data={"csrf_token": token, "name": "Invoices"})  # fmt: skip
    assert renamed.status_code == 200 and "Renamed." in renamed.text
    assert _names(desk, kind) == ["Invoices"]
    removed = admin.post(f"{PAGE}/{section}/{billing.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 200 and "Removed." in removed.text
    assert _names(desk, kind) == []


def test_bad_names_are_form_errors_and_nothing_is_saved(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    admin.post(f"{PAGE}/categories", data={"csrf_token": token, "name": "Billing"})
    taken = admin.post(f"{PAGE}/categories", data={"csrf_token": token, "name": "billing"})
    assert taken.status_code == 409 and "This list has that name already." in taken.text
    assert 'value="billing"' in taken.text  # what was typed is kept
    empty = admin.post(f"{PAGE}/departments", data={"csrf_token": token, "name": "   "})
    assert empty.status_code == 422 and "Give it a name." in empty.text
    long = admin.post(f"{PAGE}/custom-fields", data={"csrf_token": token, "name": "x" * 201})
    assert long.status_code == 422 and "at most 200 characters" in long.text
    assert _names(desk, "category") == ["Billing"]
    assert _names(desk, "department") == [] and _names(desk, "custom_field") == []
    unknown = admin.post(f"{PAGE}/colours", data={"csrf_token": token, "name": "Red"})
    assert unknown.status_code == 404


def test_a_category_tickets_use_is_not_removed(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    with desk.services.store.write() as uow:
        billing = taxonomy.create_named(uow, desk.tenant.actor, "category", "Billing")
    ticket = desk.ticket("Invoice", category_id=billing.id)
    refused = admin.post(f"{PAGE}/categories/{billing.id}/remove", data={"csrf_token": token})
    assert refused.status_code == 409 and "Tickets use it, so it cannot be removed." in refused.text
    assert _names(desk, "category") == ["Billing"]
    admin.post(f"{PAGE}/categories/{billing.id}/rename",
               data={"csrf_token": token, "name": "Invoices"})  # fmt: skip
    with desk.services.store.read() as uow:  # the ticket follows the rename (by id)
        assert tickets.get_ticket(uow, desk.tenant.actor, ticket.id).category_id == billing.id
    assert _names(desk, "category") == ["Invoices"]


def test_labels_are_listed_with_counts_renamed_on_tickets_and_removed(
    web_app: FastAPI, desk: Desk
) -> None:
    admin, token = _admin(web_app, desk)
    one, two = desk.ticket("One"), desk.ticket("Two")
    with desk.services.store.write() as uow:
        tickets.set_labels(uow, desk.tenant.actor, one.id, ["vip", "refund"])
        tickets.set_labels(uow, desk.tenant.actor, two.id, ["vip"])
    page = admin.get(PAGE).text
    assert "On 2 tickets" in page and "On 1 ticket" in page
    added = admin.post(f"{PAGE}/labels", data={"csrf_token": token, "name": "later"})
    assert added.status_code == 200 and "On 0 tickets" in added.text
    renamed = admin.post(f"{PAGE}/labels/rename",
                         data={"csrf_token": token, "label": "vip", "name": "VIP"})  # fmt: skip
    assert renamed.status_code == 200 and "Renamed." in renamed.text
    with desk.services.store.read() as uow:
        details = uow.tickets.ticket_details([one.id, two.id])
    assert details[one.id].labels == ("VIP", "refund") and details[two.id].labels == ("VIP",)
    clash = admin.post(f"{PAGE}/labels/rename",
                       data={"csrf_token": token, "label": "refund", "name": "VIP"})  # fmt: skip
    assert clash.status_code == 409 and "This list has that name already." in clash.text
    removed = admin.post(f"{PAGE}/labels/remove", data={"csrf_token": token, "label": "VIP"})
    assert removed.status_code == 200 and "Removed." in removed.text
    assert _labels(desk) == [LabelUse("later", 0), LabelUse("refund", 1)]


def test_agents_are_refused_and_nothing_changes(web_app: FastAPI, desk: Desk) -> None:
    with desk.services.store.write() as uow:
        billing = taxonomy.create_named(uow, desk.tenant.actor, "category", "Billing")
        taxonomy.add_label(uow, desk.tenant.actor, "vip")
    agent = signed_in(web_app, desk.agent.email)
    token = csrf_of(agent.get("/settings/profile").text)
    assert agent.get(PAGE).status_code == 403
    assert "/settings/fields" not in agent.get("/settings/profile").text  # not in its nav
    posts = [
        (f"{PAGE}/categories", {"name": "Mine"}),
        (f"{PAGE}/categories/{billing.id}/rename", {"name": "Mine"}),
        (f"{PAGE}/categories/{billing.id}/remove", {}),
        (f"{PAGE}/labels", {"name": "mine"}),
        (f"{PAGE}/labels/rename", {"label": "vip", "name": "mine"}),
        (f"{PAGE}/labels/remove", {"label": "vip"}),
    ]
    for path, form in posts:
        assert agent.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert _names(desk, "category") == ["Billing"]
    assert _labels(desk) == [LabelUse("vip", 0)]


def test_a_post_without_the_csrf_token_is_refused(web_app: FastAPI, desk: Desk) -> None:
    admin, _token = _admin(web_app, desk)
    with desk.services.store.write() as uow:
        taxonomy.add_label(uow, desk.tenant.actor, "vip")
    assert admin.post(f"{PAGE}/categories", data={"name": "Billing"}).status_code == 403
    assert admin.post(f"{PAGE}/labels/remove", data={"label": "vip"}).status_code == 403
    assert _names(desk, "category") == [] and _labels(desk) == [LabelUse("vip", 0)]


def test_another_accounts_items_are_not_found(
    web_app: FastAPI, desk: Desk, other_tenant: Tenant
) -> None:
    with desk.services.store.write() as uow:
        theirs = taxonomy.create_named(uow, other_tenant.actor, "department", "Theirs")
        taxonomy.add_label(uow, other_tenant.actor, "secret")
    admin, token = _admin(web_app, desk)
    assert "Theirs" not in admin.get(PAGE).text and "secret" not in admin.get(PAGE).text
    for path, form in [
        (f"{PAGE}/departments/{theirs.id}/rename", {"name": "Mine"}),
        (f"{PAGE}/departments/{theirs.id}/remove", {}),
        (f"{PAGE}/labels/rename", {"label": "secret", "name": "mine"}),
        (f"{PAGE}/labels/remove", {"label": "secret"}),
    ]:
        assert admin.post(path, data={"csrf_token": token, **form}).status_code == 404, path
    with desk.services.store.read() as uow:
        assert taxonomy.get_named(uow, other_tenant.actor, "department", theirs.id).name == "Theirs"
        assert taxonomy.list_labels(uow, other_tenant.actor) == [LabelUse("secret", 0)]


def test_the_audit_log_shows_who_changed_the_labels(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    admin.post(f"{PAGE}/labels", data={"csrf_token": token, "name": "vip"})
    admin.post(f"{PAGE}/categories", data={"csrf_token": token, "name": "Billing"})
    admin.post(f"{PAGE}/labels/rename", data={"csrf_token": token, "label": "vip", "name": "VIP"})
    labels = admin.get("/settings/audit", params={"object": "label"}).text
    assert "label.created" in labels and "label.renamed" in labels and "Ada Admin" in labels
    assert "category.created" not in labels
    assert "category.created" in admin.get("/settings/audit", params={"object": "category"}).text
