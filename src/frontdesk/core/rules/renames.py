"""Renaming a label or a custom field reaches everything that names it.

Rules and SLA policies name labels by their text (a condition "labels has refund", an
action "add labels refund", a policy for the label "vip"), and rules name custom fields
too (a condition on "field:Plan", an action setting Plan). Renaming on the tickets alone
would leave them naming something no ticket has any more: the rule would quietly stop
matching and the policy stop applying. The renames live here, above both the tickets
area and automation, so that each is one change in one unit of work.
"""

from __future__ import annotations

from frontdesk.core.rules.define import RULE_CHANGED
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import Action, Condition, Rule, RuleKind, Value
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import clean_name
from frontdesk.core.tickets import custom_fields, taxonomy
from frontdesk.core.tickets.records import Named

LABEL_CONDITIONS = frozenset({"labels"})
LABEL_ACTIONS = frozenset({"add_labels", "remove_labels"})
FIELD_KIND = custom_fields.KIND


def rename_label(uow: RulesUnit, actor: Actor, name: str, new_name: str) -> int:
    """Rename the label on every ticket (tickets.taxonomy.rename_label, which checks the
    names and the role), then in every rule and SLA policy that names it. The tickets'
    count."""
    changed = taxonomy.rename_label(uow, actor, name, new_name)
    new_name = clean_name(new_name)  # as the tickets have it (checked there already)
    if new_name == name:
        return changed
    now = now_ms()
    for rule in _every_rule(uow, actor):
        _rewrite(uow, actor, rule, _label_conditions(rule, name, new_name),
                 _label_actions(rule, name, new_name), "label_renamed", now)  # fmt: skip
    for policy in uow.sla.list_policies(actor.account_id):
        if policy.label == name:
            uow.sla.update_policy(policy.id, {"label": new_name, "updated": now})
    return changed


def rename_field(uow: RulesUnit, actor: Actor, field_id: int, name: str) -> Named:
    """Rename a custom field (tickets.taxonomy.rename_named: tickets hold it by id), then in
    every rule that tests it or sets it."""
    before = taxonomy.get_named(uow, actor, FIELD_KIND, field_id)
    renamed = taxonomy.rename_named(uow, actor, FIELD_KIND, field_id, name)
    if renamed.name == before.name:
        return renamed
    old_subject, new_subject = f"field:{before.name}", f"field:{renamed.name}"
    now = now_ms()
    for rule in _every_rule(uow, actor):
        conditions = tuple(
            Condition(new_subject, c.operator, c.value) if c.subject == old_subject else c
            for c in rule.conditions
        )
        actions = tuple(
            Action(a.kind, _first_renamed(a.value, before.name, renamed.name))
            if a.kind == "set_field"
            else a
            for a in rule.actions
        )
        _rewrite(uow, actor, rule, conditions, actions, "field_renamed", now)
    return renamed


def _every_rule(uow: RulesUnit, actor: Actor) -> list[Rule]:
    return [rule for kind in RuleKind for rule in uow.rules.list_rules(actor.account_id, kind)]


def _label_conditions(rule: Rule, name: str, new_name: str) -> tuple[Condition, ...]:
    return tuple(
        Condition(c.subject, c.operator, _renamed(c.value, name, new_name))
        if c.subject in LABEL_CONDITIONS
        else c
        for c in rule.conditions
    )


def _label_actions(rule: Rule, name: str, new_name: str) -> tuple[Action, ...]:
    return tuple(
        Action(a.kind, _renamed(a.value, name, new_name)) if a.kind in LABEL_ACTIONS else a
        for a in rule.actions
    )


def _rewrite(
    uow: RulesUnit,
    actor: Actor,
    rule: Rule,
    conditions: tuple[Condition, ...],
    actions: tuple[Action, ...],
    change: str,
    now: int,
) -> None:
    """Store the rule's new conditions and actions if they differ, as a `rule.changed`."""
    if conditions == rule.conditions and actions == rule.actions:
        return
    stamp = max(now, rule.updated + 1)  # a rule's `updated` only moves forward
    uow.rules.update_rule(rule.id, {"conditions": conditions, "actions": actions, "updated": stamp})
    events.record(uow, actor, RULE_CHANGED, stamp, rule_id=rule.id, change=change)


def _first_renamed(value: Value, name: str, new_name: str) -> Value:
    """A set_field action's value: the field's name, then the value to set."""
    if isinstance(value, tuple) and value and value[0] == name:
        return (new_name, *value[1:])
    return new_name if value == name else value


def _renamed(value: Value, name: str, new_name: str) -> Value:
    """One label or several: the old name replaced, nothing else touched."""
    if isinstance(value, tuple):
        return tuple(new_name if word == name else word for word in value)
    return new_name if value == name else value
