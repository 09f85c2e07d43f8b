"""Custom field types: each type's values checked and normalised in one place, dropdown
options, and changing a field's type or options while tickets hold values. Both databases."""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Conflict, Invalid
from frontdesk.core.tickets import custom_fields
from frontdesk.core.tickets.field_types import compared
from frontdesk.core.tickets.records import FieldType
from tests.conftest import Tenant
from tests.core.helpers import open_many, open_ticket

TEXT, MULTILINE, NUMBER, DATE = (
    FieldType.TEXT, FieldType.MULTILINE, FieldType.NUMBER, FieldType.DATE)  # fmt: skip
CHECKBOX, DROPDOWN = FieldType.CHECKBOX, FieldType.DROPDOWN
OPTIONS = ("Bronze", "Silver", "Gold")

# type, value written, value stored (None: refused with the code in the last column)
ACCEPTED = [
    (TEXT, "  ORD-1 ", "ORD-1"),
    (MULTILINE, "first line\nsecond line", "first line\nsecond line"),
    (NUMBER, "12", "12"),
    (NUMBER, " 12.50 ", "12.5"),
    (NUMBER, "-0.0", "0"),
    (NUMBER, "1.", "1"),
    (NUMBER, ".25", "0.25"),
    (NUMBER, "100", "100"),
    (DATE, "2026-02-28", "2026-02-28"),
    (DATE, " 2024-02-29 ", "2024-02-29"),
    (CHECKBOX, "yes", "yes"),
    (CHECKBOX, "TRUE", "yes"),
    (CHECKBOX, "on", "yes"),
    (CHECKBOX, "0", "no"),
    (CHECKBOX, "No", "no"),
    (DROPDOWN, "Silver", "Silver"),
    (DROPDOWN, " gold ", "Gold"),
]
REFUSED = [
    (TEXT, "x" * 10_001, "too_long"),
    (NUMBER, "twelve", "field_not_a_number"),
    (NUMBER, "1,5", "field_not_a_number"),
    (NUMBER, "1e3", "field_not_a_number"),
    (NUMBER, "NaN", "field_not_a_number"),
    (NUMBER, "", "field_not_a_number"),
    (NUMBER, "1" * 41, "field_not_a_number"),
    (DATE, "2026-02-30", "field_not_a_date"),
    (DATE, "20260228", "field_not_a_date"),
    (DATE, "28/02/2026", "field_not_a_date"),
    (CHECKBOX, "maybe", "field_not_yes_no"),
    (DROPDOWN, "Platinum", "field_not_an_option"),
    (DROPDOWN, "", "field_not_an_option"),
]


def _field(tenant: Tenant, field_type: FieldType, name: str = "Plan") -> None:
    options = OPTIONS if field_type is DROPDOWN else ()
    with tenant.services.store.write() as uow:
        custom_fields.create_field(uow, tenant.actor, name, field_type, options)


def _set(tenant: Tenant, ticket_id: int, values: dict[str, str | None]) -> dict[str, str]:
    with tenant.services.store.write() as uow:
        tickets.set_custom_fields(uow, tenant.actor, ticket_id, values)
    return _values(tenant, ticket_id)


def _values(tenant: Tenant, ticket_id: int) -> dict[str, str]:
    with tenant.services.store.read() as uow:
        ticket = tickets.get_ticket(uow, tenant.actor, ticket_id)
        return dict(tickets.details_of(uow, ticket).custom_fields)


@pytest.mark.parametrize(("field_type", "written", "stored"), ACCEPTED)
def test_a_value_is_stored_in_its_types_normal_form(
    tenant: Tenant, field_type: FieldType, written: str, stored: str
) -> None:
    _field(tenant, field_type)
    ticket = open_ticket(tenant)
    assert _set(tenant, ticket.id, {"Plan": written}) == {"Plan": stored}


@pytest.mark.parametrize(("field_type", "written", "code"), REFUSED)
def test_a_value_that_does_not_fit_is_refused_naming_the_field(
    tenant: Tenant, field_type: FieldType, written: str, code: str
) -> None:
    _field(tenant, field_type)
    ticket = open_ticket(tenant)
    _set(tenant, ticket.id, {"Plan": None})
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Plan": written})
    assert refused.value.code == code
    assert refused.value.field == "custom_fields.Plan"
    assert _values(tenant, ticket.id) == {}


def test_a_ticket_opened_with_fields_is_checked_too(tenant: Tenant) -> None:
    _field(tenant, NUMBER, "Seats")
    with pytest.raises(Invalid) as refused:
        open_ticket(tenant, custom_fields={"Seats": "a few"})
    assert refused.value.code == "field_not_a_number"
    ticket = open_ticket(tenant, custom_fields={"Seats": "007"})
    assert _values(tenant, ticket.id) == {"Seats": "7"}


def test_a_new_field_is_text_and_lists_with_its_type_and_options(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        plain = custom_fields.create_field(uow, tenant.actor, "Order number")
        plan = custom_fields.create_field(
            uow, tenant.actor, "Plan", DROPDOWN, [" Bronze", "", "Silver ", "Gold"]
        )
    with tenant.services.store.read() as uow:
        listed = {f.name: f for f in custom_fields.list_fields(uow, tenant.actor)}
    assert plain.type is TEXT and plain.options == ()
    assert listed["Plan"].type is DROPDOWN and listed["Plan"].options == OPTIONS
    assert plan == listed["Plan"]


@pytest.mark.parametrize(
    ("field_type", "options", "code"),
    [
        (DROPDOWN, [], "options_required"),
        (DROPDOWN, ["  "], "options_required"),
        (DROPDOWN, ["Gold", "gold"], "duplicate_option"),
        (DROPDOWN, ["x" * 201], "too_long"),
        (DROPDOWN, ["one\ntwo"], "invalid_option"),
        (DROPDOWN, [str(n) for n in range(101)], "too_many_options"),
        (NUMBER, ["1"], "options_not_allowed"),
    ],
)
def test_bad_options_are_refused(
    tenant: Tenant, field_type: FieldType, options: list[str], code: str
) -> None:
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        custom_fields.create_field(uow, tenant.actor, "Plan", field_type, options)
    assert refused.value.code == code and refused.value.field == "options"


def test_an_option_in_use_cannot_be_removed_but_others_can(tenant: Tenant) -> None:
    _field(tenant, DROPDOWN)
    ticket = open_ticket(tenant)
    _set(tenant, ticket.id, {"Plan": "Gold"})
    with tenant.services.store.read() as uow:
        plan = custom_fields.list_fields(uow, tenant.actor)[0]
    with pytest.raises(Conflict) as refused, tenant.services.store.write() as uow:
        custom_fields.change_field(uow, tenant.actor, plan.id, DROPDOWN, ["Bronze", "Silver"])
    assert refused.value.code == "field_option_in_use" and "'Gold'" in refused.value.message
    with tenant.services.store.write() as uow:  # reordered, one unused dropped, one added
        changed = custom_fields.change_field(
            uow, tenant.actor, plan.id, DROPDOWN, ["Gold", "Platinum", "Bronze"]
        )
    assert changed.options == ("Gold", "Platinum", "Bronze")
    assert _values(tenant, ticket.id) == {"Plan": "Gold"}


def test_a_type_change_rewrites_values_that_fit_and_refuses_those_that_do_not(
    tenant: Tenant,
) -> None:
    _field(tenant, TEXT, "Seats")
    first, second = open_ticket(tenant), open_ticket(tenant)
    _set(tenant, first.id, {"Seats": "12.50"})
    _set(tenant, second.id, {"Seats": "a dozen"})
    with tenant.services.store.read() as uow:
        seats = custom_fields.list_fields(uow, tenant.actor)[0]
        version = tickets.get_ticket(uow, tenant.actor, first.id).version
    with pytest.raises(Conflict) as refused, tenant.services.store.write() as uow:
        custom_fields.change_field(uow, tenant.actor, seats.id, NUMBER)
    assert refused.value.code == "field_values_do_not_fit"
    assert "'a dozen'" in refused.value.message and "12.50" not in refused.value.message
    _set(tenant, second.id, {"Seats": None})
    with tenant.services.store.write() as uow:
        custom_fields.change_field(uow, tenant.actor, seats.id, NUMBER)
    assert _values(tenant, first.id) == {"Seats": "12.5"}
    with tenant.services.store.read() as uow:
        assert tickets.get_ticket(uow, tenant.actor, first.id).version > version


def test_a_dropdown_with_values_in_other_case_takes_the_options_spelling(
    tenant: Tenant,
) -> None:
    _field(tenant, TEXT)
    ticket = open_ticket(tenant)
    _set(tenant, ticket.id, {"Plan": "gold"})
    with tenant.services.store.read() as uow:
        plan = custom_fields.list_fields(uow, tenant.actor)[0]
    with tenant.services.store.write() as uow:
        custom_fields.change_field(uow, tenant.actor, plan.id, DROPDOWN, OPTIONS)
    assert _values(tenant, ticket.id) == {"Plan": "Gold"}


@pytest.mark.parametrize(
    ("first", "second", "order"),
    [
        ("2", "10", -1),
        ("10.0", "10", 0),
        ("-1", "-2", 1),
        ("2026-01-31", "2026-02-01", -1),
        ("2026-02-01", "2026-02-01", 0),
        ("abc", "1", None),
        ("2026-01-01", "5", None),
    ],
)
def test_numbers_and_dates_compare_by_value(first: str, second: str, order: int | None) -> None:
    assert compared(first, second) == order


def test_a_type_change_rewrites_more_spellings_than_one_statement_takes(
    tenant: Tenant,
) -> None:
    """The rewrite goes 250 spellings a statement: 260 tickets with 260 spellings cross
    that boundary, and every one of them comes out in its normal form."""
    _field(tenant, TEXT, "Seats")
    opened = open_many(tenant, 260)
    with tenant.services.store.write() as uow:
        for number, ticket in enumerate(opened):
            tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Seats": f"{number}.0"})
    with tenant.services.store.read() as uow:
        seats = custom_fields.list_fields(uow, tenant.actor)[0]
    with tenant.services.store.write() as uow:
        custom_fields.change_field(uow, tenant.actor, seats.id, NUMBER)
    with tenant.services.store.read() as uow:
        held = sorted(uow.taxonomy.field_values(seats.id), key=int)
        moved = {
            t.version for t in uow.tickets.get_tickets(tenant.id, [t.id for t in opened]).values()
        }
    assert held == [str(number) for number in range(260)]
    assert moved == {opened[0].version + 2}  # the value set, then the rewrite
