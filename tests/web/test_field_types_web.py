"""Custom field types in the web app over HTTP, both databases: Settings > Ticket fields
adds a dropdown with its options, changes a type, refuses what stored values would not
survive; the ticket page shows each type's control and refuses a bad value in place."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.tickets import custom_fields
from frontdesk.core.tickets.records import CustomField, FieldType
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.web.helpers import Desk, csrf_of, make_desk, signed_in
from tests.web.test_canned_web import admin_of

PAGE = "/settings/fields"


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _admin(web_app: FastAPI, desk: Desk) -> tuple[TestClient, str]:
    admin = signed_in(web_app, admin_of(desk))
    return admin, csrf_of(admin.get(PAGE).text)


def _fields(desk: Desk) -> dict[str, CustomField]:
    with desk.services.store.read() as uow:
        return {f.name: f for f in custom_fields.list_fields(uow, desk.tenant.actor)}


def _values(desk: Desk, ticket_id: int) -> dict[str, str]:
    with desk.services.store.read() as uow:
        ticket = tickets.get_ticket(uow, desk.tenant.actor, ticket_id)
        return dict(tickets.details_of(uow, ticket).custom_fields)


def test_an_admin_adds_a_dropdown_with_options_and_sees_its_type(
    web_app: FastAPI, desk: Desk
) -> None:
    admin, token = _admin(web_app, desk)
    added = admin.post(
        f"{PAGE}/custom-fields",
        data={"csrf_token": token, "name": "Plan", "type": "dropdown",
              "options": "Basic\r\n\r\n  Pro \nEnterprise"},
    )  # fmt: skip
    assert added.status_code == 200 and "Added." in added.text
    plan = _fields(desk)["Plan"]
    assert plan.type is FieldType.DROPDOWN and plan.options == ("Basic", "Pro", "Enterprise")
    assert f'id="custom-fields-{plan.id}-use">Dropdown</p>' in added.text
    # The row's form offers the options, one a line, to edit in place.
    assert "Basic\nPro\nEnterprise</textarea>" in added.text
    # A plain add (no type) is a text field, as before fields had types.
    admin.post(f"{PAGE}/custom-fields", data={"csrf_token": token, "name": "Order no"})
    assert _fields(desk)["Order no"].type is FieldType.TEXT


def test_refusals_show_in_the_section_and_keep_what_was_typed(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    empty = admin.post(
        f"{PAGE}/custom-fields",
        data={"csrf_token": token, "name": "Plan", "type": "dropdown", "options": " \n "},
    )
    assert empty.status_code == 422
    assert "A dropdown needs at least one option" in empty.text
    assert 'value="Plan"' in empty.text
    assert '<option value="dropdown" selected>' in empty.text
    twice = admin.post(
        f"{PAGE}/custom-fields",
        data={"csrf_token": token, "name": "Plan", "type": "dropdown", "options": "A\na"},
    )
    assert twice.status_code == 422 and "An option is listed twice" in twice.text
    bad_type = admin.post(
        f"{PAGE}/custom-fields", data={"csrf_token": token, "name": "Plan", "type": "colour"}
    )
    assert bad_type.status_code == 422 and "Choose one of the types." in bad_type.text
    no_csrf = admin.post(f"{PAGE}/custom-fields", data={"name": "Plan", "type": "text"})
    assert no_csrf.status_code == 403
    assert _fields(desk) == {}


def test_a_type_change_that_values_do_not_fit_is_refused_naming_them(
    web_app: FastAPI, desk: Desk
) -> None:
    admin, token = _admin(web_app, desk)
    admin.post(f"{PAGE}/custom-fields", data={"csrf_token": token, "name": "Seats"})
    seats = _fields(desk)["Seats"]
    ticket = desk.ticket()
    with desk.services.store.write() as uow:
        tickets.set_custom_fields(uow, desk.tenant.actor, ticket.id, {"Seats": "a dozen"})
    path = f"{PAGE}/custom-fields/{seats.id}/type"
    refused = admin.post(path, data={"csrf_token": token, "type": "number", "options": ""})
    assert refused.status_code == 409
    assert "Tickets hold “a dozen”, which that type does not take." in refused.text
    assert _fields(desk)["Seats"].type is FieldType.TEXT
    with desk.services.store.write() as uow:
        tickets.set_custom_fields(uow, desk.tenant.actor, ticket.id, {"Seats": "12"})
    # Options left in the box do not matter for a type other than dropdown.
    changed = admin.post(path, data={"csrf_token": token, "type": "number", "options": "x"})
    assert changed.status_code == 200 and "Type and options saved." in changed.text
    assert _fields(desk)["Seats"] == CustomField(
        seats.id, seats.account_id, "Seats", seats.created, FieldType.NUMBER, ()
    )


def test_an_option_in_use_is_not_removed_from_the_page(web_app: FastAPI, desk: Desk) -> None:
    admin, token = _admin(web_app, desk)
    admin.post(f"{PAGE}/custom-fields",
               data={"csrf_token": token, "name": "Plan", "type": "dropdown",
                     "options": "Basic\nPro"})  # fmt: skip
    plan = _fields(desk)["Plan"]
    ticket = desk.ticket()
    with desk.services.store.write() as uow:
        tickets.set_custom_fields(uow, desk.tenant.actor, ticket.id, {"Plan": "Pro"})
    refused = admin.post(
        f"{PAGE}/custom-fields/{plan.id}/type",
        data={"csrf_token": token, "type": "dropdown", "options": "Basic"},
    )
    assert refused.status_code == 409
    assert "Tickets hold “Pro”, so that option cannot be removed." in refused.text
    assert _fields(desk)["Plan"].options == ("Basic", "Pro")


def _ticket_with_typed_fields(desk: Desk) -> int:
    with desk.services.store.write() as uow:
        actor = desk.tenant.actor
        custom_fields.create_field(uow, actor, "Plan", FieldType.DROPDOWN, ["Basic", "Pro"])
        custom_fields.create_field(uow, actor, "Seats", FieldType.NUMBER)
        custom_fields.create_field(uow, actor, "Renewal", FieldType.DATE)
        custom_fields.create_field(uow, actor, "Trial", FieldType.CHECKBOX)
        custom_fields.create_field(uow, actor, "Notes", FieldType.MULTILINE)
    return desk.ticket().id


def test_the_ticket_page_shows_each_types_control(web_app: FastAPI, desk: Desk) -> None:
    ticket_id = _ticket_with_typed_fields(desk)
    agent = signed_in(web_app, desk.agent.email)
    page = agent.get(f"/tickets/{ticket_id}").text
    fields = _fields(desk)
    assert re.search(rf'<select class="control control--select" id="side-field-{fields["Plan"].id}"'
                     r' name="field:Plan"', page)  # fmt: skip
    assert '<option value="Pro">Pro</option>' in page
    assert f'type="number" value="" id="side-field-{fields["Seats"].id}"' in page
    assert f'type="date" value="" id="side-field-{fields["Renewal"].id}"' in page
    assert f'<input type="checkbox" id="side-field-{fields["Trial"].id}"' in page
    assert (
        f'<textarea class="control control--textarea" id="side-field-{fields["Notes"].id}"' in page
    )


def test_an_agent_sets_typed_values_and_a_bad_one_is_refused_in_place(
    web_app: FastAPI, desk: Desk
) -> None:
    ticket_id = _ticket_with_typed_fields(desk)
    agent = signed_in(web_app, desk.agent.email)
    token = csrf_of(agent.get(f"/tickets/{ticket_id}").text)
    form = {"csrf_token": token, "field:Plan": "Pro", "field:Seats": "12.50",
            "field:Renewal": "2027-03-01", "field:Trial": "yes", "field:Notes": ""}  # fmt: skip
    saved = agent.post(f"/tickets/{ticket_id}/fields", data=form)
    assert saved.status_code == 200
    assert _values(desk, ticket_id) == {
        "Plan": "Pro", "Seats": "12.5", "Renewal": "2027-03-01", "Trial": "yes"}  # fmt: skip
    assert 'value="yes" checked' in saved.text and 'value="12.5"' in saved.text
    refused = agent.post(
        f"/tickets/{ticket_id}/fields",
        data={**form, "field:Seats": "lots", "field:Plan": "Basic"},
    )
    assert refused.status_code == 422
    assert "Write a number, such as 12 or 4.5." in refused.text
    assert 'value="lots"' in refused.text  # what the agent typed stays in the form
    assert 'aria-invalid="true"' in refused.text
    assert _values(desk, ticket_id)["Plan"] == "Pro"  # nothing of that form was saved
    # Unticking a ticked checkbox posts the hidden "no" only.
    untick = {key: value for key, value in form.items() if key != "field:Trial"}
    agent.post(f"/tickets/{ticket_id}/fields", data={**untick, "field:Trial": "no"})
    assert _values(desk, ticket_id)["Trial"] == "no"
