"""Running rules: triggers on a transaction's events, time rules on a sweep, macros by hand.

**Triggers** run at the end of the write transaction that recorded their events, inside
it (a `Store.before_commit` hook, placed before notifications and webhooks so those see
what the triggers did). Events are taken in the order they were recorded, the events the
triggers' own actions record included; for each, the account's active triggers are tried
in (position, id) order against the ticket as it stands. A trigger fires at most once per
ticket per transaction: that both keeps "each at most once per event" and ends every chain
(a trigger that sets a label another trigger reacts to fires each once, never in a loop).

A firing runs in a savepoint: if one of its actions is refused (an agent deleted since the
rule was written, a field renamed), its own writes are undone, the ticket's log says why,
and the change that fired it still commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from frontdesk.core import tickets
from frontdesk.core.rules import actions, conditions, sla
from frontdesk.core.rules.conditions import Compiled, matches, rule_test
from frontdesk.core.rules.facts import (
    REQUESTER,
    facts_of,
    facts_of_many,
    subjects_of,
    with_event,
)
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import Rule, RuleKind, TicketFacts
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import DomainError
from frontdesk.core.shared.records import ALL_SCOPES, Actor, Event
from frontdesk.core.tickets.records import Ticket

# Tickets per time rules' sweep transaction: short enough not to hold locks long, and
# large enough that the batch's few reads (one per kind of fact) cost little per ticket.
SWEEP_BATCH = 500


def rule_actor(rule: Rule) -> Actor:
    """Triggers and time rules act as themselves: the ticket's log names the rule."""
    return Actor(account_id=rule.account_id, label=f"rule:{rule.name}"[:200], scopes=ALL_SCOPES)


def fire(uow: RulesUnit, rule: Rule, ticket_id: int, firing: actions.Firing | None = None) -> bool:
    """Run the rule's actions on the ticket; False (and a log line) when one was refused."""
    firing = firing or actions.Firing(rule_actor(rule), ticket_id, rule.id, rule.name)
    try:
        with uow.savepoint():
            actions.apply(uow, firing, rule.actions)
    except DomainError as error:
        ticket = tickets.get_ticket(uow, firing.actor, ticket_id)
        line = f"Rule “{rule.name}” could not run: {error.message}"
        tickets.log(uow, firing.actor, ticket, line, now_ms())
        return False
    return True


def run_triggers(uow: RulesUnit) -> int:
    """Fire the triggers this transaction's events call for; how many fired."""
    pending = uow.events.pending
    if not any(event.ticket_id is not None and event.kind not in events.QUIET for event in pending):
        return 0
    run = _Run(uow)
    index = 0
    while index < len(pending):  # grows while the triggers' actions record events
        event = pending[index]
        index += 1
        if event.ticket_id is not None and event.kind not in events.QUIET:
            run.event(event)
    return run.fired_count


class RuleSet:
    """What an account's active triggers work out once, kept while the storage returns the
    same tuple of them: the subjects their conditions read, and per event kind the rules
    that kind can match, each with its compiled test (`conditions.rule_test`). Most
    triggers name their event, so most events try none or a few, without a test apiece."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.generation = conditions.generation()
        self.needed = subjects_of(rules)
        self._by_kind: dict[str, list[tuple[Rule, Compiled]]] = {}

    def for_kind(self, kind: str) -> list[tuple[Rule, Compiled]]:
        found = self._by_kind.get(kind)
        if found is None:
            found = self._by_kind[kind] = [
                (rule, test)
                for rule in self.rules
                if (test := rule_test(rule.match, rule.conditions, kind)) is not None
            ]
        return found


# Per account: its triggers' RuleSet, replaced when the storage returns another tuple.
_SETS: dict[int, RuleSet] = {}


def _rule_set(uow: RulesUnit, account_id: int) -> RuleSet:
    rules = uow.rules.active_rules(account_id, RuleKind.TRIGGER)
    known = _SETS.get(account_id)
    if known is None or known.rules is not rules or known.generation != conditions.generation():
        known = _SETS[account_id] = RuleSet(rules)
    return known


class _Run:
    """One transaction's trigger run: the rules per account, what fired on which ticket,
    and each ticket's facts, read once and kept until a trigger changes the ticket."""

    def __init__(self, uow: RulesUnit) -> None:
        self.uow = uow
        self.loaded: dict[int, RuleSet] = {}
        self.fired: set[tuple[int, int]] = set()
        self.facts: dict[int, TicketFacts | None] = {}
        self.fired_count = 0

    def event(self, event: Event) -> None:
        assert event.ticket_id is not None
        rules = self.loaded.get(event.account_id)
        if rules is None:
            rules = self.loaded[event.account_id] = _rule_set(self.uow, event.account_id)
        facts: TicketFacts | None = None  # read for the first rule that needs them
        for rule, test in rules.for_kind(event.kind):
            if (rule.id, event.ticket_id) in self.fired:
                continue
            if facts is None:
                facts = self._facts(rule, event, rules.needed)
                if facts is None:
                    return
            if not test(facts):
                continue
            self.fired.add((rule.id, event.ticket_id))
            fire(self.uow, rule, event.ticket_id)
            self.fired_count += 1
            self.facts.pop(event.ticket_id, None)  # changed: the next rule reads it anew
            facts = None

    def _facts(self, rule: Rule, event: Event, needed: frozenset[str]) -> TicketFacts | None:
        assert event.ticket_id is not None
        if event.ticket_id in self.facts:
            known = self.facts[event.ticket_id]
            if known is None or known.event is event:
                return known
            return with_event(self.uow, known, event, needed)
        found = _facts(self.uow, rule, event, needed)
        self.facts[event.ticket_id] = found
        return found


def _facts(uow: RulesUnit, rule: Rule, event: Event, needed: frozenset[str]) -> TicketFacts | None:
    """The ticket's facts for the first rule that needs them; None when the ticket is gone
    (removed in this same transaction) or merged (frozen). The ticket and its requester's
    address come in one read (a rule's actor sees the whole account, as `get_ticket` would)."""
    assert event.ticket_id is not None
    found = uow.rules.ticket_and_requester(rule.account_id, event.ticket_id)
    if found is None or found[0].merged_into_id is not None:
        return None
    ticket, requester_email = found
    now = now_ms()
    facts = facts_of(uow, rule_actor(rule), ticket, now, needed=needed - REQUESTER, event=event)
    return replace(facts, requester_email=requester_email)


# -- time rules -----------------------------------------------------------------------------


def time_rule_accounts(uow: RulesUnit) -> list[int]:
    return uow.rules.accounts_with(RuleKind.TIME_RULE)


def open_tickets(uow: RulesUnit, account_id: int, after_id: int) -> list[int]:
    """The next batch of an account's open tickets for a sweep."""
    return uow.rules.open_ticket_ids(account_id, after_id, SWEEP_BATCH)


def run_time_rules(
    uow: RulesUnit,
    account_id: int,
    ticket_ids: Sequence[int],
    now: int,
) -> int:
    """Fire the account's time rules on these tickets, each once per ticket and state.

    A ticket's state is its status with the time it entered it and the time its assignees
    last changed: "pending for 3 days" fires once per stretch of pending, and again only
    after the ticket left pending and came back.

    The batch is read in a fixed number of queries whatever its size: the tickets, each
    kind of fact the rules need, the assignment times and the states the rules already
    fired for. The last is only a shortcut: a firing is still claimed by inserting its
    (rule, ticket, state) row, which a unique key lets only one sweep do.
    """
    rules = uow.rules.active_rules(account_id, RuleKind.TIME_RULE)
    if not rules or not ticket_ids:
        return 0
    needed = subjects_of(rules) | {"status_minutes"}
    found = uow.tickets.get_tickets(account_id, ticket_ids)
    live = [found[i] for i in ticket_ids if i in found and _sweepable(found[i])]
    live_ids = [ticket.id for ticket in live]
    batch = facts_of_many(uow, live, now, needed=needed)
    assigned = uow.rules.assigned_changed(account_id, live_ids) if live_ids else {}
    fired = uow.rules.fired_states([rule.id for rule in rules], live_ids) if live_ids else set()
    sweep = _Sweep(uow, rules, needed, fired)
    return sum(sweep.ticket(batch[ticket.id], assigned.get(ticket.id)) for ticket in live)


def _sweepable(ticket: Ticket) -> bool:
    """Open and not merged: the batch was listed before this transaction began."""
    return ticket.is_open and ticket.merged_into_id is None


class _Sweep:
    """One batch's time rules: the account's rules and the states they already fired for."""

    def __init__(
        self,
        uow: RulesUnit,
        rules: Sequence[Rule],
        needed: frozenset[str],
        fired: set[tuple[int, int, str]],
    ) -> None:
        self.uow, self.rules, self.needed, self.fired = uow, rules, needed, fired

    def ticket(self, facts: TicketFacts, assigned_at: int | None) -> int:
        """Fire the rules that match the ticket and have not fired for its state yet."""
        ticket = facts.ticket
        state = f"{ticket.status.value}@{facts.status_since}/{assigned_at}"
        count = 0
        for rule in self.rules:
            if not matches(rule.match, rule.conditions, facts):
                continue
            key = state + sla.run_of(facts) if _on_sla(rule) else state
            if (rule.id, ticket.id, key) in self.fired:
                continue
            if self.uow.rules.record_firing(ticket.account_id, rule.id, ticket.id, key, facts.now):
                fire(self.uow, rule, ticket.id)
                count += 1
                facts = self._as_left(rule, ticket.id, facts.now)
        return count

    def _as_left(self, rule: Rule, ticket_id: int, now: int) -> TicketFacts:
        """The ticket's facts as the rule that just fired left it, for the next rule."""
        ticket = tickets.get_ticket(self.uow, rule_actor(rule), ticket_id)
        return facts_of_many(self.uow, [ticket], now, needed=self.needed)[ticket_id]


def _on_sla(rule: Rule) -> bool:
    return any(condition.subject.startswith(sla.PREFIX) for condition in rule.conditions)
