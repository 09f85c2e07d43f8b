"""Compiled conditions answer as the generic `holds` does.

Triggers test each rule through `conditions.rule_test`: its conditions compiled once per
event kind, the `event` conditions answered by the kind and left out. Every subject and
operator, with many values, is compiled and tested against `holds` on the same facts; and
rules of up to three conditions, `all` and `any`, against testing each condition by `holds`.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from frontdesk.core.rules import conditions, sla  # sla: its subjects are registered too
from frontdesk.core.rules.conditions import compiled, holds, matches, rule_test
from frontdesk.core.rules.records import Condition, Match, TicketFacts, Value
from frontdesk.core.shared.records import Event
from frontdesk.core.tickets.records import Priority, Status, Ticket, TicketDetails

NOW = 1_800_000_000_000
MINUTE = conditions.MINUTE


def _ticket(**changes: object) -> Ticket:
    values: dict[str, object] = {
        "id": 1, "uuid": "u", "account_id": 1, "number": 1, "subject": "Invoice overdue",
        "status": Status.NEW, "priority": Priority.NORMAL, "category_id": None,
        "department_id": None, "inbox_id": 3, "requester_id": 5, "notes": "",
        "archived_at": None, "merged_into_id": None, "force_closed": False,
        "created": NOW - 200 * MINUTE, "updated": NOW, "latest_activity": NOW,
        "client_last_replied": None, "client_last_read": None,
    }  # fmt: skip
    return Ticket(**{**values, **changes})  # type: ignore[arg-type]


def _event(kind: str) -> Event:
    return Event(account_id=1, kind=kind, actor="test", ticket_id=1)


FACTS = {
    "full": TicketFacts(
        ticket=_ticket(),
        details=TicketDetails(
            labels=("VIP", "Billing"),
            tags=("x",),
            assignee_ids=(7,),
            custom_fields=(("Plan", "Pro"), ("Seats", "12.50"), ("Renewal", "2026-12-01")),
        ),
        now=NOW,
        requester_email="Ann@Example.ORG",
        channel="email",
        event=_event("ticket.opened"),
        body="Please REFUND me",
        business_hours=True,
        status_since=NOW - 90 * MINUTE,
        extra={
            sla.SOONEST: NOW + 30 * MINUTE,
            "sla.first_response_due": NOW + 10 * MINUTE,
            sla.BREACHED: True,
        },
    ),
    "bare": TicketFacts(
        ticket=_ticket(subject="hello", inbox_id=None, requester_id=None),
        details=TicketDetails(),
        now=NOW,
        channel="api",
        event=_event("message.added"),
        business_hours=False,
        unassigned_since=NOW - 31 * MINUTE,
    ),
    "sweep": TicketFacts(  # a time rule's sweep: no event
        ticket=_ticket(status=Status.PENDING, priority=Priority.HIGH, subject="Re: refund"),
        details=TicketDetails(labels=("vip",), custom_fields=(("Seats", "3"),)),
        now=NOW,
        requester_email="weird",
        channel="chat",
        status_since=NOW - 5 * MINUTE,
        extra={"sla.next_response_due": NOW - 5 * MINUTE, "sla.resolution_due": NOW + 99 * MINUTE},
    ),
}

VALUES: tuple[Value, ...] = (
    "", "VIP", ("vip", "billing"), ("VIP", "nope"), "example.org", "@EXAMPLE.org",
    (" @example.org",), "ann@example.org", "invoice", ("refund", "nothing"), ("", "x"),
    True, False, "true", "no", 1, 0, 60, "90", "x", "new", ("pending", "high"), "3",
    "email", ("chat", "api"), "ticket.opened", ("message.added",), "12.5", "2026-11-30",
    "Pro", "weird", "15", "abc", "300", "-10", "2027-01-01",
)  # fmt: skip
SUBJECTS = [
    *(subject for subject in conditions.subjects() if subject != "field:"),
    "field:Plan",
    "field:Seats",
    "field:Renewal",
    "field:Missing",
]


def _cases() -> list[Condition]:
    known = conditions.subjects()
    return [
        Condition(subject, operator, value)
        for subject in SUBJECTS
        for operator in sorted(known["field:" if subject.startswith("field:") else subject])
        for value in VALUES
    ]


def test_each_subject_and_operator_compiled_answers_as_holds() -> None:
    seen: dict[tuple[str, str], set[bool]] = {}
    for condition in _cases():
        test = compiled(condition)
        for name, facts in FACTS.items():
            expected = holds(condition, facts)
            assert test(facts) is expected, (condition, name)
            seen.setdefault((condition.subject, condition.operator), set()).add(expected)
    # The table is only worth something if every subject and operator came out both ways
    # (but for a field that is not a number or a date, and one the tickets do not have).
    one_sided = {key for key, answers in seen.items() if len(answers) < 2}
    assert one_sided == {
        ("field:Plan", "greater"), ("field:Plan", "less"),
        *(("field:Missing", operator) for operator in ("absent", "present", "greater", "less")),
    }  # fmt: skip


def test_a_subject_no_longer_registered_never_matches() -> None:
    gone = Condition("gone", "is", "x")
    assert compiled(gone)(FACTS["full"]) is False
    assert rule_test(Match.ALL, (gone,), "ticket.opened") is None
    assert matches(Match.ANY, (gone, Condition("status", "is", "new")), FACTS["full"])


POOL = (
    Condition("event", "is", "ticket.opened"),
    Condition("event", "is_not", "ticket.opened"),
    Condition("event", "is", ("message.added", "TICKET.OPENED")),
    Condition("subject", "contains", "invoice"),
    Condition("requester_domain", "is", "example.org"),
    Condition("labels", "has", "vip"),
    Condition("status", "is", "pending"),
    Condition("gone", "is", "x"),
)


@pytest.mark.parametrize("match", list(Match))
def test_rules_compiled_per_event_kind_answer_as_each_condition_by_holds(match: Match) -> None:
    rules = [combo for size in range(4) for combo in combinations(POOL, size)]
    for _ in range(2):  # the second time from the kept compiled rules
        for rule in rules:
            for name, facts in FACTS.items():
                results = [holds(condition, facts) for condition in rule]
                expected = not rule or (all(results) if match is Match.ALL else any(results))
                assert matches(match, rule, facts) is expected, (match, rule, name)
                kind = facts.event.kind if facts.event else ""
                if rule_test(match, rule, kind) is None:  # skipped without reading facts
                    assert not expected, (match, rule, name)


def test_a_rule_is_compiled_again_when_its_conditions_are_new() -> None:
    first = (Condition("subject", "contains", "invoice"),)
    assert matches(Match.ALL, first, FACTS["full"])
    changed = (Condition("subject", "contains", "refund"),)  # a rule changed: a new tuple
    assert not matches(Match.ALL, changed, FACTS["full"])
    assert matches(Match.ALL, changed, FACTS["sweep"])


def test_a_subject_registered_later_applies_to_rules_compiled_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conditions, "_TESTS", dict(conditions._TESTS))  # undone afterwards
    rule = (Condition("late.subject", "is", "x"),)
    assert rule_test(Match.ALL, rule, "") is None  # unknown yet: never matches
    before = conditions.generation()
    conditions.register("late.subject", ("is",), lambda facts, operator, value: True)
    assert conditions.generation() > before  # running.RuleSet compiles its rules again
    assert matches(Match.ALL, rule, FACTS["sweep"])
