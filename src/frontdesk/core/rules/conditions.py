"""Conditions: each subject is one test of a ticket's facts, looked up by name.

Every subject is documented in docs/automation.md. `register` lets an area above the
core's tickets add its own (the SLA's due times) without this module knowing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter

from frontdesk.core.rules.records import Condition, Match, TicketFacts, Value
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.field_types import compared

# A test: does the ticket's fact, compared with `value` by `operator`, hold?
Test = Callable[[TicketFacts, str, Value], bool]
# One condition (or a rule's conditions) with its operator and value already bound.
Compiled = Callable[[TicketFacts], bool]
# Binds an operator and a value once: what `holds` works out for every ticket (the
# lower-cased words, which operator) is then worked out once per rule.
Compiler = Callable[[str, Value], Compiled]

_TESTS: dict[str, tuple[Test, frozenset[str]]] = {}
_COMPILERS: dict[str, Compiler] = {}
_GENERATION = 0
MINUTE = 60_000


def register(
    subject: str, operators: Sequence[str], test: Test, compiler: Compiler | None = None
) -> None:
    """Make `subject` a condition with these operators, tested by `test`; `compiler`, when
    given, must answer as `test` does (tests/unit/test_rules_compiled.py checks ours)."""
    _TESTS[subject] = (test, frozenset(operators))
    _COMPILERS.pop(subject, None)
    if compiler is not None:
        _COMPILERS[subject] = compiler
    _RULES.clear()  # rules compiled before knew no such subject (or another test for it)
    global _GENERATION
    _GENERATION += 1


def generation() -> int:
    """Goes up with every `register`: what was compiled before must be compiled again."""
    return _GENERATION


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


def compiled(condition: Condition) -> Compiled:
    """`holds` for this condition, with its subject's test, operator and value bound."""
    key = _key(condition.subject)
    known = _TESTS.get(key)
    if known is None:
        return _never
    compiler = _COMPILERS.get(key)
    value = _with_name(condition)
    if compiler is not None:
        return compiler(condition.operator, value)
    test, operator = known[0], condition.operator
    return lambda facts: test(facts, operator, value)


def _never(facts: TicketFacts) -> bool:
    return False


def _always(facts: TicketFacts) -> bool:
    return True


# rule_test's answers per (conditions, match, event kind). The storage keeps parsed rules
# per process while they are unchanged, so the same conditions tuple comes back for every
# create: each rule is compiled once per event kind, not tested condition by condition for
# every trigger of every event. The entry holds the tuple itself, so an id reused after a
# rule changed is never mistaken for the old one.
_RULES: dict[tuple[int, Match, str], tuple[Sequence[Condition], Compiled | None]] = {}
_RULES_LIMIT = 50_000


def rule_test(match: Match, conditions: Sequence[Condition], kind: str) -> Compiled | None:
    """A rule's conditions as one test of a ticket's facts for events of `kind` ("" on a
    sweep), or None when no ticket can match (its `event` conditions refuse the kind): the
    trigger engine then skips the rule without reading the ticket. The `event` conditions,
    answered by the kind alone, are left out of the test."""
    known = _RULES.get((id(conditions), match, kind))
    if known is not None and known[0] is conditions:
        return known[1]
    if len(_RULES) >= _RULES_LIMIT:
        _RULES.clear()
    test = _compile_rule(match, conditions, kind)
    _RULES[(id(conditions), match, kind)] = (conditions, test)
    return test


def _compile_rule(match: Match, conditions: Sequence[Condition], kind: str) -> Compiled | None:
    if not conditions:
        return _always  # a rule with no conditions always matches
    by_event = [_one_of(kind, c.operator, c.value) for c in conditions if c.subject == "event"]
    tests = [compiled(c) for c in conditions if c.subject != "event"]
    if match is Match.ALL:
        if not all(by_event) or _never in tests:
            return None
        return _all(tests)
    if any(by_event):
        return _always
    tests = [test for test in tests if test is not _never]
    return _any(tests) if tests else None


def _all(tests: list[Compiled]) -> Compiled:
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:  # the usual trigger once its event is left out: no generator
        first, second = tests
        return lambda facts: first(facts) and second(facts)
    return lambda facts: all(test(facts) for test in tests)


def _any(tests: list[Compiled]) -> Compiled:
    if len(tests) == 1:
        return tests[0]
    return lambda facts: any(test(facts) for test in tests)


def matches(match: Match, conditions: Sequence[Condition], facts: TicketFacts) -> bool:
    """All (or any) of the conditions hold; a rule with none always matches."""
    test = rule_test(match, conditions, facts.event.kind if facts.event else "")
    return test is not None and test(facts)


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


def _inbox_of(facts: TicketFacts) -> str:
    inbox = facts.ticket.inbox_id
    return "" if inbox is None else str(inbox)


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


def _domain_of(facts: TicketFacts) -> str:
    address = facts.requester_email or ""
    return address.rsplit("@", 1)[1] if "@" in address else ""


def _domains(value: Value) -> tuple[str, ...]:
    return tuple(word.lstrip("@") for word in _words(value))


# -- the subjects' compilers: the same answers as their tests, with the values worked out once


def _one_of_compiler(get: Callable[[TicketFacts], str | None]) -> Compiler:
    def compiler(operator: str, value: Value) -> Compiled:
        wanted = _wanted(value)
        if operator == "is":
            return lambda facts: (get(facts) or "").lower() in wanted
        return lambda facts: (get(facts) or "").lower() not in wanted

    return compiler


def _sets_compiler(get: Callable[[TicketFacts], tuple[str, ...]]) -> Compiler:
    def compiler(operator: str, value: Value) -> Compiled:
        wanted = _wanted(value)
        if operator == "has":
            return lambda facts: wanted <= _lower(get(facts))
        if operator == "has_any":
            return lambda facts: bool(wanted & _lower(get(facts)))
        return lambda facts: not wanted & _lower(get(facts))

    return compiler


def _text_compiler(get: Callable[[TicketFacts], str]) -> Compiler:
    def compiler(operator: str, value: Value) -> Compiled:
        needles = _needles(value)
        if len(needles) == 1:  # the usual case: one word, one `in`
            needle = needles[0]

            def found(facts: TicketFacts) -> bool:
                return needle in get(facts).lower()

        else:

            def found(facts: TicketFacts) -> bool:
                haystack = get(facts).lower()
                return any(needle in haystack for needle in needles)

        if operator == "contains":
            return found
        return lambda facts: not found(facts)

    return compiler


def _yes_compiler(get: Callable[[TicketFacts], bool]) -> Compiler:
    def compiler(operator: str, value: Value) -> Compiled:
        wanted = yes(value)
        return lambda facts: get(facts) is wanted

    return compiler


def _one_of_subject(subject: str, get: Callable[[TicketFacts], str | None]) -> None:
    register(subject, IS, lambda f, o, v: _one_of(get(f), o, v), _one_of_compiler(get))


def _sets_subject(subject: str, get: Callable[[TicketFacts], tuple[str, ...]]) -> None:
    register(subject, SETS, lambda f, o, v: _sets(get(f), o, v), _sets_compiler(get))


def _text_subject(subject: str, get: Callable[[TicketFacts], str]) -> None:
    register(subject, TEXT, lambda f, o, v: _text(get(f), o, v), _text_compiler(get))


def _yes_subject(subject: str, get: Callable[[TicketFacts], bool]) -> None:
    register(subject, ("is",), lambda f, o, v: get(f) is yes(v), _yes_compiler(get))


IS = ("is", "is_not")
SETS = ("has", "has_any", "has_not")
TEXT = ("contains", "not_contains")
NUMBER = ("at_least", "at_most")
ORDER = ("greater", "less")

# `event` has no compiler: rule_test answers it from the event kind alone.
register("event", IS, _event)
_one_of_subject("inbox", _inbox_of)
_one_of_subject("channel", attrgetter("channel"))
_one_of_subject("status", attrgetter("ticket.status.value"))
_one_of_subject("priority", attrgetter("ticket.priority.value"))
_sets_subject("labels", attrgetter("details.labels"))
_sets_subject("tags", attrgetter("details.tags"))
register("field:", (*IS, *ORDER, "present", "absent"), _field)
_one_of_subject("requester", attrgetter("requester_email"))
register(
    "requester_domain",
    IS,
    lambda f, o, v: _one_of(_domain_of(f), o, _domains(v)),
    lambda o, v: _one_of_compiler(_domain_of)(o, _domains(v)),
)
_text_subject("subject", attrgetter("ticket.subject"))
_text_subject("body", attrgetter("body"))
_yes_subject("business_hours", attrgetter("business_hours"))
_yes_subject("assigned", lambda f: bool(f.details.assignee_ids))
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
