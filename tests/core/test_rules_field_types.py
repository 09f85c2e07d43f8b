"""Rules on typed custom fields, both databases: number and date fields compare by value
(greater, less, and is), and a set_field action's value is checked against its field's
type when the rule is saved, not first when it fires."""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.rules.records import Action, Condition
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets import custom_fields
from frontdesk.core.tickets.records import FieldType
from tests.conftest import Tenant
from tests.core.helpers import open_ticket
from tests.core.test_rules_triggers import OPENED, state, trigger


def _fields(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        custom_fields.create_field(uow, tenant.actor, "Seats", FieldType.NUMBER)
        custom_fields.create_field(uow, tenant.actor, "Renewal", FieldType.DATE)
        custom_fields.create_field(uow, tenant.actor, "Plan", FieldType.DROPDOWN, ["Basic", "Pro"])


def _tags(tenant: Tenant, values: dict[str, str]) -> tuple[str, ...]:
    ticket = open_ticket(tenant, custom_fields=values)
    return tuple(sorted(state(tenant, ticket.id)[1].details.tags))


def test_number_and_date_fields_compare_by_value(tenant: Tenant) -> None:
    _fields(tenant)
    trigger(tenant, "Big", [OPENED, Condition("field:Seats", "greater", "10")],
            [Action("add_tags", ("big",))])  # fmt: skip
    trigger(tenant, "Exactly", [OPENED, Condition("field:Seats", "is", "12.50")],
            [Action("add_tags", ("twelve",))])  # fmt: skip
    trigger(tenant, "Early", [OPENED, Condition("field:Renewal", "less", "2027-01-01")],
            [Action("add_tags", ("early",))])  # fmt: skip
    assert _tags(tenant, {"Seats": "12.5", "Renewal": "2026-12-31"}) == ("big", "early", "twelve")
    assert _tags(tenant, {"Seats": "9", "Renewal": "2027-01-01"}) == ()
    assert _tags(tenant, {"Seats": "100"}) == ("big",)  # 100 > 10 as numbers, not as text
    assert _tags(tenant, {}) == ()  # no value: neither greater nor less


def test_a_comparison_needs_a_number_or_a_date(tenant: Tenant) -> None:
    _fields(tenant)
    with pytest.raises(Invalid) as refused:
        trigger(tenant, "Bad", [OPENED, Condition("field:Seats", "greater", "many")],
                [Action("add_tags", ("x",))])  # fmt: skip
    assert refused.value.code == "invalid_value" and refused.value.field == "conditions"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (("Seats", "lots"), "field_not_a_number"),
        (("Renewal", "tomorrow"), "field_not_a_date"),
        (("Plan", "Gold"), "field_not_an_option"),
        (("Nothing", "x"), "unknown_field"),
    ],
)
def test_a_set_field_action_is_checked_when_saved(
    tenant: Tenant, value: tuple[str, str], code: str
) -> None:
    _fields(tenant)
    with pytest.raises(Invalid) as refused:
        trigger(tenant, "Bad", [OPENED], [Action("set_field", value)])
    assert refused.value.code == code and refused.value.field == "actions"


def test_a_set_field_action_keeps_and_writes_the_normal_form(tenant: Tenant) -> None:
    _fields(tenant)
    rule = trigger(tenant, "Pro", [OPENED], [Action("set_field", ("plan", "pro")),
                                             Action("set_field", ("Seats", "05.0"))])  # fmt: skip
    assert [a.value for a in rule.actions] == [("Plan", "Pro"), ("Seats", "5")]
    ticket = open_ticket(tenant)
    with tenant.services.store.read() as uow:
        details = tickets.details_of(uow, tickets.get_ticket(uow, tenant.actor, ticket.id))
    assert dict(details.custom_fields) == {"Plan": "Pro", "Seats": "5"}
