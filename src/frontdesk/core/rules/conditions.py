"""Conditions: each subject is one test of a ticket's facts, looked up by name.

Every subject is documented in docs/automation.md. `register` lets an area above the
core's tickets add its own (the SLA's due times) without this module knowing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from frontdesk.core.rules.records import Condition, Match, TicketFacts, Value
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.field_types import compared

# A test: does the ticket's fact, compared with `value` by `operator`, hold?
Test = Callable[[TicketFacts, str, Value], bool]

_TESTS: dict[str, tuple[Test, frozenset[str]]] = {}
MINUTE = 60_000


def register(subject: str, operators: Sequence[str], test: Test) -> None:
    """Make `subject` a condition with these operators, tested by `test`."""
    _TESTS[subject] = (test, frozenset(operators))


def subjects() -> dict[str, frozenset[str]]:
    """Every known subject with its operators (the admin screens offer these)."""
    return {subject: operators for subject, (_, operators) in sorted(_TESTS.items())}


def check(condition: Condition) -> Condition:
    """Refuse a condition no test understands, when an admin saves a rule."""
    known = _TESTS.get(_key(condition.subject))
    if known is None:
        raise Invalid(
            "unknown_condition", f"No condition {condition.subject[:80]!r}", field="conditions"
        )
    if condition.operator not in known[1]:
        raise Invalid(
            "unknown_operator",
            f"{condition.subject[:80]} takes {', '.join(sorted(known[1]))}",
            field="conditions",
        )
    if _key(condition.subject) == "field:" and condition.operator in ORDER:
        _comparable(condition)
    return condition


def holds(condition: Condition, facts: TicketFacts) -> bool:
    known = _TESTS.get(_key(condition.subject))
    if known is None:  # a condition whose area is gone: never matches, never fails a write
        return False
    return known[0](facts, condition.operator, _with_name(condition))


def _key(subject: str) -> str:
    """`field:Plan` is tested by the `field:` test; other subjects by their own."""
    return subject.split(":", 1)[0] + ":" if ":" in subject else subject


def _with_name(condition: Condition) -> Value:
    # "field:<name>" tests see their field's name through the value's first element.
    if condition.subject.startswith("field:"):
        return (condition.subject[6:], *_words(condition.value))
    return condition.value


# excluded_by_event's answers per (conditions, event kind). The storage keeps parsed rules
# per process while they are unchanged, so the same conditions tuple comes back for every
# create: the answer is worked out once, not for every trigger of every event (the
# lower-casing of the values was most of a trigger's cost). The entry holds the tuple
# itself, so an id reused after a rule changed is never mistaken for the old one.
_EXCLUDED: dict[tuple[int, str], tuple[Sequence[Condition], bool]] = {}
_EXCLUDED_LIMIT = 50_000


def excluded_by_event(match: Match, conditions: Sequence[Condition], kind: str) -> bool:
    """Whether an `all` rule's `event` conditions already refuse this event kind: the
    trigger engine then skips the rule without reading the ticket (most triggers name
    their event, and most events are not theirs)."""
    if match is not Match.ALL:
        return False
    known = _EXCLUDED.get((id(conditions), kind))
    if known is not None and known[0] is conditions:
        return known[1]
    if len(_EXCLUDED) >= _EXCLUDED_LIMIT:
        _EXCLUDED.clear()
    excluded = any(
        condition.subject == "event" and not _one_of(kind, condition.operator, condition.value)
        for condition in conditions
    )
    _EXCLUDED[(id(conditions), kind)] = (conditions, excluded)
    return excluded


def matches(match: Match, conditions: Sequence[Condition], facts: TicketFacts) -> bool:
    """All (or any) of the conditions hold; a rule with none always matches."""
    if not conditions:
        return True
    results = (holds(condition, facts) for condition in conditions)
    return all(results) if match is Match.ALL else any(results)


def _words(value: Value) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, bool | int):
        return (str(value),)
    return (value,) if value else ()


def _lower(values: tuple[str, ...]) -> set[str]:
    return {value.strip().lower() for value in values}


# A rule's values come back unchanged for every event it is tried on: their lower-cased
# words are worked out once per value (typed: True and 1 are different values here).
@lru_cache(maxsize=8192, typed=True)
def _wanted(value: Value) -> frozenset[str]:
    return frozenset(_lower(_words(value)))


@lru_cache(maxsize=8192, typed=True)
def _needles(value: Value) -> tuple[str, ...]:
    return tuple(word.lower() for word in _words(value) if word)


def _one_of(actual: str | None, operator: str, value: Value) -> bool:
    found = (actual or "").lower() in _wanted(value)
    return found if operator == "is" else not found


def _sets(actual: tuple[str, ...], operator: str, value: Value) -> bool:
    have, wanted = _lower(actual), _wanted(value)
    if operator == "has":  # every one of the words
        return wanted <= have
    if operator == "has_any":
        return bool(wanted & have)
    return not wanted & have  # has_not: none of them


def _text(actual: str, operator: str, value: Value) -> bool:
    haystack = actual.lower()
    found = any(word in haystack for word in _needles(value))
    return found if operator == "contains" else not found


def number(actual: int | None, operator: str, value: Value) -> bool:
    """`at_least` / `at_most` a whole number; false when there is no number to compare."""
    if actual is None or isinstance(value, tuple):
        return False
    try:
        limit = int(value)
    except ValueError:
        return False
    return actual >= limit if operator == "at_least" else actual <= limit


def _minutes_since(since: int | None, now: int) -> int | None:
    return None if since is None else (now - since) // MINUTE


def _event(facts: TicketFacts, operator: str, value: Value) -> bool:
    return _one_of(facts.event.kind if facts.event else "", operator, value)


def _inbox(facts: TicketFacts, operator: str, value: Value) -> bool:
    inbox = facts.ticket.inbox_id
    return _one_of("" if inbox is None else str(inbox), operator, value)


def _field(facts: TicketFacts, operator: str, value: Value) -> bool:
    name, *wanted = _words(value)
    current = dict(facts.details.custom_fields).get(name)
    if operator == "present":
        return bool(current)
    if operator == "absent":
        return not current
    if operator in ORDER:
        return _ordered(current, operator, wanted)
    # A number field's value equals "12.50" and "12.5" alike.
    same = _one_of(current, "is", tuple(wanted)) or any(
        compared(current or "", word) == 0 for word in wanted
    )
    return same if operator == "is" else not same


def _ordered(current: str | None, operator: str, wanted: list[str]) -> bool:
    """greater / less than a number or a date; false when either is not one."""
    order = compared(current, wanted[0]) if current and wanted else None
    return order == (1 if operator == "greater" else -1)


def _comparable(condition: Condition) -> None:
    words = _words(condition.value)
    if len(words) != 1 or compared(words[0], words[0]) is None:
        raise Invalid(
            "invalid_value",
            f"{condition.subject[:80]} {condition.operator} needs a number or a date (YYYY-MM-DD)",
            field="conditions",
        )


def _requester(facts: TicketFacts, operator: str, value: Value) -> bool:
    return _one_of(facts.requester_email, operator, value)


def _domain(facts: TicketFacts, operator: str, value: Value) -> bool:
    address = facts.requester_email or ""
    domain = address.rsplit("@", 1)[1] if "@" in address else ""
    return _one_of(domain, operator, tuple(w.lstrip("@") for w in _words(value)))


def _business_hours(facts: TicketFacts, operator: str, value: Value) -> bool:
    return facts.business_hours is yes(value)


IS = ("is", "is_not")
SETS = ("has", "has_any", "has_not")
TEXT = ("contains", "not_contains")
NUMBER = ("at_least", "at_most")

register("event", IS, _event)
register("inbox", IS, _inbox)
register("channel", IS, lambda f, o, v: _one_of(f.channel, o, v))
register("status", IS, lambda f, o, v: _one_of(f.ticket.status.value, o, v))
register("priority", IS, lambda f, o, v: _one_of(f.ticket.priority.value, o, v))
register("labels", SETS, lambda f, o, v: _sets(f.details.labels, o, v))
register("tags", SETS, lambda f, o, v: _sets(f.details.tags, o, v))
ORDER = ("greater", "less")
register("field:", (*IS, *ORDER, "present", "absent"), _field)
register("requester", IS, _requester)
register("requester_domain", IS, _domain)
register("subject", TEXT, lambda f, o, v: _text(f.ticket.subject, o, v))
register("body", TEXT, lambda f, o, v: _text(f.body, o, v))
register("business_hours", ("is",), _business_hours)
register("assigned", ("is",), lambda f, o, v: bool(f.details.assignee_ids) is yes(v))
register(
    "status_minutes",
    NUMBER,
    lambda f, o, v: number(_minutes_since(f.status_since, f.now), o, v),
)
register(
    "unassigned_minutes",
    NUMBER,
    lambda f, o, v: number(_minutes_since(f.unassigned_since, f.now), o, v),
)
register(
    "age_minutes",
    NUMBER,
    lambda f, o, v: number(_minutes_since(f.ticket.created, f.now), o, v),
)


def yes(value: Value) -> bool:
    """A yes/no value as the forms and the API write it."""
    return value if isinstance(value, bool) else str(value).lower() in {"true", "yes", "1"}
