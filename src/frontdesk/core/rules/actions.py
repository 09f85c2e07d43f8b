"""Actions: what a rule does to a ticket, each through the owning area's named function.

Every action is documented in docs/automation.md. They run as the rule's actor: for a
trigger or time rule an actor named after the rule (so the ticket's log says who did it),
for a macro the agent who applied it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from frontdesk.core import contacts, tickets
from frontdesk.core.automation.webhooks import get_endpoint, queue_one
from frontdesk.core.identity import accounts
from frontdesk.core.mail import replies
from frontdesk.core.rules import assignment
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import Action, Value
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID, Actor
from frontdesk.core.tickets.field_types import normalised
from frontdesk.core.tickets.records import MessageKind, Priority, Status, Ticket

RULE_FIRED = events.RULE_FIRED
RULE_NOTIFIED = events.RULE_NOTIFIED
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Firing:
    """One run of a rule's actions on one ticket."""

    actor: Actor
    ticket_id: int
    rule_id: int
    rule_name: str
    agent_name: str = ""  # who applied a macro ({{agent.name}}); "" for triggers


Apply = Callable[[RulesUnit, Firing, Value], None]


def _words(value: Value) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return (str(value),) if str(value) else ()


def _details(uow: RulesUnit, firing: Firing) -> tuple[Ticket, tuple[str, ...], tuple[str, ...]]:
    ticket = tickets.get_ticket(uow, firing.actor, firing.ticket_id)
    details = tickets.details_of(uow, ticket)
    return ticket, details.labels, details.tags


def _add(current: Sequence[str], words: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*current, *words]))


def _remove(current: Sequence[str], words: Sequence[str]) -> list[str]:
    gone = {word.lower() for word in words}
    return [word for word in current if word.lower() not in gone]


Change = Callable[[Sequence[str], Sequence[str]], list[str]]


def _words_action(what: str, change: Change) -> Apply:
    """add/remove labels or tags: the ticket's words changed, written only if they differ."""
    write = tickets.set_labels if what == "labels" else tickets.set_tags

    def apply(uow: RulesUnit, firing: Firing, value: Value) -> None:
        _ticket, labels, tags = _details(uow, firing)
        current = labels if what == "labels" else tags
        wanted = change(current, _words(value))
        if wanted != list(current):
            write(uow, firing.actor, firing.ticket_id, wanted)

    return apply


def _set_field(uow: RulesUnit, firing: Firing, value: Value) -> None:
    name, *rest = _words(value)
    tickets.set_custom_fields(
        uow, firing.actor, firing.ticket_id, {name: rest[0] if rest else None}
    )


def _assign(uow: RulesUnit, firing: Firing, value: Value) -> None:
    tickets.assign(uow, firing.actor, firing.ticket_id, [int(word) for word in _words(value)])


def _assign_fairly(uow: RulesUnit, firing: Firing, value: Value) -> None:
    assignment.assign_fairly(uow, firing.actor, firing.ticket_id)


def _note(uow: RulesUnit, firing: Firing, value: Value) -> None:
    text = render(uow, firing, str(value))
    tickets.add_message(
        uow,
        firing.actor,
        firing.ticket_id,
        tickets.NewMessage(body_text=text, kind=MessageKind.INTERNAL, by_team=True),
    )


def _reply(uow: RulesUnit, firing: Firing, value: Value) -> None:
    """A reply to the requester, e-mailed through the outbox with the change."""
    text = render(uow, firing, str(value))
    replies.post(uow, firing.actor, firing.ticket_id, replies.TeamMessage(text, send_email=True))


def _notify(uow: RulesUnit, firing: Firing, value: Value) -> None:
    ticket = tickets.get_ticket(uow, firing.actor, firing.ticket_id)
    words = _words(value)
    agent_ids = set()
    if "assignees" in words:
        agent_ids |= set(tickets.details_of(uow, ticket).assignee_ids)
    agent_ids |= {int(word) for word in words if word.isdigit()}
    if agent_ids:
        events.record(
            uow, firing.actor, RULE_NOTIFIED, now_ms(), ticket_id=ticket.id,
            agent_ids=sorted(agent_ids), rule=firing.rule_name,
        )  # fmt: skip


def _webhook(uow: RulesUnit, firing: Firing, value: Value) -> None:
    """POST the rule's `rule.fired` event (recorded just before the actions) to one endpoint."""
    fired = next(
        (item for item in reversed(uow.events.recorded) if item[1].kind == RULE_FIRED), None
    )
    if fired is not None:
        queue_one(uow, firing.actor, int(str(value)), fired)


ACTIONS: dict[str, Apply] = {
    "set_status": lambda u, f, v: _ignore(
        tickets.set_status(u, f.actor, f.ticket_id, Status(str(v)))
    ),
    "set_priority": lambda u, f, v: _ignore(
        tickets.set_priority(u, f.actor, f.ticket_id, Priority(str(v)))
    ),
    "add_labels": _words_action("labels", _add),
    "remove_labels": _words_action("labels", _remove),
    "add_tags": _words_action("tags", _add),
    "remove_tags": _words_action("tags", _remove),
    "set_field": _set_field,
    "assign": _assign,
    "assign_fairly": _assign_fairly,
    "unassign": lambda u, f, v: _ignore(tickets.assign(u, f.actor, f.ticket_id, [])),
    "note": _note,
    "reply": _reply,
    "notify": _notify,
    "webhook": _webhook,
}


def _ignore(_result: object) -> None:
    return None


def apply(uow: RulesUnit, firing: Firing, actions: Sequence[Action]) -> None:
    """Record that the rule fired (event and log line), then run its actions in order."""
    ticket = tickets.get_ticket(uow, firing.actor, firing.ticket_id)
    now = now_ms()
    tickets.log(uow, firing.actor, ticket, f"Rule “{firing.rule_name}” ran", now)
    events.record(
        uow, firing.actor, RULE_FIRED, now, ticket_id=ticket.id,
        rule_id=firing.rule_id, rule=firing.rule_name,
    )  # fmt: skip
    for action in actions:
        ACTIONS[action.kind](uow, firing, action.value)


# -- checking an admin's actions when a rule is saved ------------------------------------------


def check(uow: RulesUnit, actor: Actor, action: Action) -> Action:
    if action.kind not in ACTIONS:
        raise Invalid("unknown_action", f"No action {action.kind[:80]!r}", field="actions")
    value = action.value
    if action.kind == "set_status":
        _member(Status, value)
    elif action.kind == "set_priority":
        _member(Priority, value)
    elif action.kind in {"assign", "notify", "webhook"}:
        _ids(uow, actor, action.kind, _words(value))
    elif action.kind in {"add_labels", "remove_labels", "add_tags", "remove_tags", "set_field"}:
        if not _words(value):
            raise Invalid("empty_action", f"{action.kind} needs a value", field="actions")
        if action.kind == "set_field":
            return replace(action, value=_field_value(uow, actor, _words(value)))
    elif action.kind in {"note", "reply"}:
        text = str(value).strip()
        if not text or len(text) > MAX_TEXT:
            raise Invalid(
                "invalid_text",
                f"{action.kind} needs a text of 1 to {MAX_TEXT} characters",
                field="actions",
            )
    return action


def _field_value(uow: RulesUnit, actor: Actor, words: tuple[str, ...]) -> tuple[str, ...]:
    """The field must exist and the value fit its type, now rather than when the rule
    fires; kept in the field's normal form (no value: the action clears the field)."""
    name, *rest = words
    definition = uow.taxonomy.find_field(actor.account_id, name.strip())
    if definition is None:
        raise Invalid("unknown_field", f"No custom field named {name[:80]!r}", field="actions")
    if not rest:
        return (definition.name,)
    try:
        return (definition.name, normalised(definition, rest[0]))
    except Invalid as refused:
        raise Invalid(refused.code, refused.message, field="actions") from None


def _member(enum: type[Status] | type[Priority], value: Value) -> None:
    if str(value) not in {member.value for member in enum}:
        raise Invalid(
            "invalid_value",
            f"{str(value)[:40]!r} is not a {enum.__name__.lower()}",
            field="actions",
        )


def _ids(uow: RulesUnit, actor: Actor, kind: str, words: tuple[str, ...]) -> None:
    numbers = [word for word in words if word != "assignees" or kind != "notify"]
    if not words or not all(word.isdigit() and int(word) <= MAX_ROW_ID for word in numbers):
        raise Invalid("invalid_value", f"{kind} needs ids", field="actions")
    for word in numbers:
        if kind == "webhook":
            get_endpoint(uow, actor, int(word))
        else:
            accounts.get_agent(uow, actor, int(word))


# -- placeholders ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*(requester|agent|ticket)\.(\w+)\s*\}\}")


def render(uow: RulesUnit, firing: Firing, text: str) -> str:
    """Fill {{requester.name|email}}, {{agent.name}}, {{ticket.number|subject|id}};
    an unknown placeholder stays as written, so an admin sees the mistake."""
    ticket = tickets.get_ticket(uow, firing.actor, firing.ticket_id)
    requester = (
        contacts.find_contact(uow, ticket.account_id, ticket.requester_id)
        if ticket.requester_id is not None
        else None
    )
    values = {
        ("requester", "name"): (requester.name if requester else "") or "",
        ("requester", "email"): (requester.email if requester else "") or "",
        ("agent", "name"): firing.agent_name,
        ("ticket", "number"): str(ticket.number),
        ("ticket", "id"): str(ticket.id),
        ("ticket", "subject"): ticket.subject,
    }

    def fill(match: re.Match[str]) -> str:
        return values.get((match.group(1), match.group(2)), match.group(0))

    return _PLACEHOLDER.sub(fill, text)
