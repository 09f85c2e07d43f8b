"""Renaming a label or a custom field reaches the rules and SLA policies that name it
(core/rules/renames.py), on both databases: they keep working under the new name, and
nothing else moves."""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.automation import service_levels as sl
from frontdesk.core.automation.service_levels import PolicyFields
from frontdesk.core.automation.sla import Targets
from frontdesk.core.rules import define, renames
from frontdesk.core.rules.records import Action, Condition, RuleKind
from frontdesk.core.shared.errors import Conflict, Forbidden
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets import custom_fields, taxonomy
from frontdesk.core.tickets.records import FieldType, Priority
from tests.conftest import Tenant
from tests.core.helpers import open_ticket
from tests.core.test_rules_triggers import OPENED, fired, state, trigger


def test_a_renamed_label_keeps_its_rules_and_policy_working(tenant: Tenant) -> None:
    marks = trigger(tenant, "Mark refunds", [OPENED, Condition("subject", "contains", "refund")],
                    [Action("add_labels", ("refund", "money"))])  # fmt: skip
    reacts = trigger(tenant, "Refunds are high", [Condition("labels", "has", ("refund",))],
                     [Action("set_priority", "high")])  # fmt: skip
    other = trigger(tenant, "Unrelated", [Condition("labels", "has", ("refunded",))],
                    [Action("remove_labels", ("refunded",))])  # fmt: skip
    with tenant.services.store.write() as uow:
        vip = {Priority.HIGH: Targets(30, 60, 240)}
        policy = sl.create_policy(uow, tenant.actor, PolicyFields("Refunds", vip, label="refund"))
    before = open_ticket(tenant, subject="A refund please")
    assert fired(tenant, before.id) == ["Mark refunds", "Refunds are high"]

    with tenant.services.store.write() as uow:
        assert renames.rename_label(uow, tenant.actor, "refund", " Refunds ") == 1

    with tenant.services.store.read() as uow:
        rules = {r.id: r for r in define.list_rules(uow, tenant.actor, RuleKind.TRIGGER)}
        (renamed_policy,) = sl.list_policies(uow, tenant.actor)
    assert rules[marks.id].actions[0].value == ("Refunds", "money")
    assert rules[reacts.id].conditions[0].value == ("Refunds",)
    assert rules[other.id] == other  # "refunded" is another label: untouched
    assert renamed_policy.id == policy.id and renamed_policy.label == "Refunds"
    ticket, thread = state(tenant, before.id)
    assert thread.details.labels == ("Refunds", "money")

    after = open_ticket(tenant, subject="Another refund")
    assert fired(tenant, after.id) == ["Mark refunds", "Refunds are high"]
    ticket, thread = state(tenant, after.id)
    assert thread.details.labels == ("Refunds", "money") and ticket.priority is Priority.HIGH
    with tenant.services.store.read() as uow:
        assert sl.ticket_sla(uow, tenant.actor, after.id) is not None  # the policy applies


def test_a_refused_rename_changes_no_rule(tenant: Tenant) -> None:
    rule = trigger(
        tenant, "R", [Condition("labels", "has", ("a",))], [Action("add_labels", ("b",))]
    )
    with tenant.services.store.write() as uow:
        taxonomy.add_label(uow, tenant.actor, "a")
        taxonomy.add_label(uow, tenant.actor, "b")
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        renames.rename_label(uow, tenant.actor, "a", "b")  # onto an existing label
    agent = Actor(account_id=tenant.id, label="agent", scopes=frozenset({Scope.TICKETS_WRITE}))
    with pytest.raises(Forbidden), tenant.services.store.write() as uow:
        renames.rename_label(uow, agent, "a", "c")
    with tenant.services.store.read() as uow:
        assert define.get_rule(uow, tenant.actor, rule.id) == rule
        assert [use.name for use in taxonomy.list_labels(uow, tenant.actor)] == ["a", "b"]


def test_a_renamed_custom_field_keeps_the_rules_that_test_and_set_it(tenant: Tenant) -> None:
    with tenant.services.store.write() as uow:
        plan = custom_fields.create_field(
            uow, tenant.actor, "Plan", FieldType.DROPDOWN, ("Basic", "Pro")
        )
        custom_fields.create_field(uow, tenant.actor, "Seats", FieldType.NUMBER)
    upgrade = trigger(
        tenant,
        "Pro is urgent",
        [Condition("field:Plan", "is", "Pro")],
        [Action("set_priority", "urgent"), Action("set_field", ("Plan", "Pro"))],
    )
    seats = trigger(tenant, "Seats", [Condition("field:Seats", "greater", "10")],
                    [Action("set_field", ("Seats", "11"))])  # fmt: skip
    with tenant.services.store.write() as uow:
        renamed = renames.rename_field(uow, tenant.actor, plan.id, "Subscription")
    assert renamed.name == "Subscription"
    with tenant.services.store.read() as uow:
        rules = {r.id: r for r in define.list_rules(uow, tenant.actor, RuleKind.TRIGGER)}
    assert rules[upgrade.id].conditions == (Condition("field:Subscription", "is", "Pro"),)
    assert rules[upgrade.id].actions[1] == Action("set_field", ("Subscription", "Pro"))
    assert rules[seats.id] == seats  # another field: untouched

    ticket = open_ticket(tenant, subject="Upgrade")
    with tenant.services.store.write() as uow:
        tickets.set_custom_fields(uow, tenant.actor, ticket.id, {"Subscription": "pro"})
    assert "Pro is urgent" in fired(tenant, ticket.id)
    assert state(tenant, ticket.id)[0].priority is Priority.URGENT
