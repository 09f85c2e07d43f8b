"""Admins define rules: triggers, time rules and macros, checked when saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.rules import actions, conditions, sla
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import Action, Condition, Match, Rule, RuleKind
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.shared.text import check_text

RULE_CHANGED = "rule.changed"
MAX_NAME = 200
MAX_PARTS = 50  # conditions or actions in one rule
MAX_REPLY = 20_000


@dataclass(frozen=True)
class RuleFields:
    name: str
    match: Match = Match.ALL
    conditions: Sequence[Condition] = ()
    actions: Sequence[Action] = ()
    reply: str = ""
    active: bool = True


def create_rule(uow: RulesUnit, actor: Actor, kind: RuleKind, fields: RuleFields) -> Rule:
    _admin(actor)
    values = _checked(uow, actor, RuleKind(kind), fields)
    now = now_ms()
    rule = uow.rules.insert_rule(
        {
            **values,
            "account_id": actor.account_id,
            "kind": RuleKind(kind),
            "position": uow.rules.next_position(actor.account_id, RuleKind(kind)),
            "created": now,
            "updated": now,
        }
    )
    events.record(uow, actor, RULE_CHANGED, now, rule_id=rule.id, change="created")
    return rule


def update_rule(uow: RulesUnit, actor: Actor, rule_id: int, fields: RuleFields) -> Rule:
    _admin(actor)
    rule = get_rule(uow, actor, rule_id)
    now = _stamp(rule)
    changed = uow.rules.update_rule(
        rule.id, {**_checked(uow, actor, rule.kind, fields), "updated": now}
    )
    events.record(uow, actor, RULE_CHANGED, now, rule_id=rule.id, change="updated")
    return changed


def delete_rule(uow: RulesUnit, actor: Actor, rule_id: int) -> None:
    _admin(actor)
    rule = get_rule(uow, actor, rule_id)
    uow.rules.delete_rule(rule.id)
    events.record(uow, actor, RULE_CHANGED, now_ms(), rule_id=rule.id, change="deleted")


def reorder(uow: RulesUnit, actor: Actor, kind: RuleKind, rule_ids: Sequence[int]) -> list[Rule]:
    """Give the account's rules of one kind the order of `rule_ids` (every one, once)."""
    _admin(actor)
    current = uow.rules.list_rules(actor.account_id, RuleKind(kind))
    if sorted(rule_ids) != sorted(rule.id for rule in current) or len(set(rule_ids)) != len(
        rule_ids
    ):
        raise Invalid("invalid_order", "Name every rule of this kind exactly once", field="order")
    now = now_ms()
    by_id = {rule.id: rule for rule in current}
    for position, rule_id in enumerate(rule_ids, start=1):
        uow.rules.update_rule(rule_id, {"position": position, "updated": _stamp(by_id[rule_id])})
    events.record(uow, actor, RULE_CHANGED, now, change="reordered", kind=str(kind))
    return uow.rules.list_rules(actor.account_id, RuleKind(kind))


def _stamp(rule: Rule) -> int:
    """A change time later than the rule's last: the rules' version (storage/rules.py, which
    keeps parsed rules while it holds) then always moves, even within one millisecond."""
    return max(now_ms(), rule.updated + 1)


def get_rule(uow: RulesUnit, actor: Actor, rule_id: int, kind: RuleKind | None = None) -> Rule:
    rule = uow.rules.get_rule(actor.account_id, rule_id)
    if rule is None or (kind is not None and rule.kind is not kind):
        raise NotFound("rule_not_found", f"No rule {rule_id}")
    return rule


def list_rules(uow: RulesUnit, actor: Actor, kind: RuleKind) -> list[Rule]:
    return uow.rules.list_rules(actor.account_id, RuleKind(kind))


def _checked(uow: RulesUnit, actor: Actor, kind: RuleKind, fields: RuleFields) -> dict[str, object]:
    name = check_text(fields.name, "name").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid("invalid_name", f"A rule's name is 1 to {MAX_NAME} characters", field="name")
    if len(fields.conditions) > MAX_PARTS or len(fields.actions) > MAX_PARTS:
        raise Invalid(
            "too_many_parts", f"At most {MAX_PARTS} conditions and actions", field="actions"
        )
    reply = check_text(fields.reply, "reply").strip()
    if kind is not RuleKind.MACRO and reply:
        raise Invalid("reply_not_allowed", "Only a macro has a reply text", field="reply")
    if len(reply) > MAX_REPLY:
        raise Invalid("invalid_text", f"A reply is at most {MAX_REPLY} characters", field="reply")
    if kind is RuleKind.MACRO and fields.conditions:
        raise Invalid("conditions_not_allowed", "A macro has no conditions", field="conditions")
    if kind is RuleKind.MACRO and not fields.actions and not reply:
        raise Invalid("empty_macro", "A macro needs an action or a reply", field="actions")
    if kind is not RuleKind.MACRO and not fields.actions:
        raise Invalid("no_actions", "A rule needs at least one action", field="actions")
    if kind is RuleKind.TIME_RULE and not any(_timed(c) for c in fields.conditions):
        raise Invalid(
            "no_time_condition",
            "A time rule needs a condition on time (…_minutes, or an SLA subject)",
            field="conditions",
        )
    return {
        "name": name,
        "match": Match(fields.match),
        "conditions": tuple(conditions.check(condition) for condition in fields.conditions),
        "actions": tuple(actions.check(uow, actor, action) for action in fields.actions),
        "reply": reply,
        "active": bool(fields.active),
    }


def _timed(condition: Condition) -> bool:
    return condition.subject.endswith("_minutes") or condition.subject.startswith(sla.PREFIX)


def _admin(actor: Actor) -> None:
    if Scope.ADMIN not in actor.scopes:
        raise Forbidden("missing_scope", "Managing rules needs the admin scope")
