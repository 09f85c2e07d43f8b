"""What the rules area needs from storage: rules, firings, assignment settings, facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.rules.records import Rule, RuleKind
from frontdesk.core.shared.ports import EventLog
from frontdesk.core.shared.records import Event
from frontdesk.core.tickets.records import Ticket


class RulesRepo(Protocol):
    def insert_rule(self, values: Mapping[str, Any]) -> Rule: ...

    def update_rule(self, rule_id: int, changes: Mapping[str, Any]) -> Rule: ...

    def get_rule(self, account_id: int, rule_id: int) -> Rule | None: ...

    def list_rules(self, account_id: int, kind: RuleKind) -> list[Rule]:
        """In the order they run: position, then id."""
        ...

    def active_rules(self, account_id: int, kind: RuleKind) -> tuple[Rule, ...]:
        """The active ones in the order they run. While they are unchanged the same tuple
        comes back (parsed rules are kept per process), so what a caller works out from
        them can be kept by the tuple's identity (`running.RuleSet`)."""
        ...

    def delete_rule(self, rule_id: int) -> None: ...

    def next_position(self, account_id: int, kind: RuleKind) -> int: ...

    def accounts_with(self, kind: RuleKind) -> list[int]:
        """Accounts with at least one active rule of this kind."""
        ...

    def record_firing(
        self, account_id: int, rule_id: int, ticket_id: int, state: str, now: int
    ) -> bool:
        """Note a time rule's firing; False when it already fired on this ticket and state."""
        ...

    def fired_states(
        self, rule_ids: Sequence[int], ticket_ids: Sequence[int]
    ) -> set[tuple[int, int, str]]:
        """The (rule, ticket, state) firings already recorded among these rules and tickets."""
        ...

    def open_ticket_ids(self, account_id: int, after_id: int, limit: int) -> list[int]:
        """The account's open, unarchived, unmerged tickets in id order, after `after_id`."""
        ...

    def requester_emails(self, ticket_ids: Sequence[int]) -> dict[int, str]: ...

    def ticket_and_requester(
        self, account_id: int, ticket_id: int
    ) -> tuple[Ticket, str | None] | None:
        """The account's ticket with its requester's address (None without one), in one read."""
        ...

    def openers(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, str]:
        """The actor label of each ticket's `ticket.opened` event: its channel's source.
        (The account leads the event log's index: without it, a scan of every event.)"""
        ...

    def status_since(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
        """When each ticket entered its present status (its latest status change, or its
        creation when it never changed)."""
        ...

    def assigned_changed(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
        """When each ticket's assignees last changed (creation when never)."""
        ...

    def message_text(self, message_id: int) -> str: ...

    # -- fair assignment -----------------------------------------------------------------------

    def assignment_of(self, inbox_id: int) -> tuple[str, int | None] | None:
        """The inbox's method and the agent it chose last, if it has a method."""
        ...

    def lock_assignment(
        self, account_id: int, inbox_id: int, default_method: str, now: int
    ) -> tuple[str, int | None]:
        """The inbox's method and last choice, its row made with the default when missing
        and locked until the transaction ends (PostgreSQL)."""
        ...

    def save_assignment(
        self, account_id: int, inbox_id: int, method: str, last_agent_id: int | None, now: int
    ) -> None: ...

    def capacities(self, account_id: int) -> dict[int, int | None]: ...

    def set_capacity(
        self, account_id: int, agent_id: int, capacity: int | None, now: int
    ) -> None: ...

    def open_counts(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, int]:
        """How many open tickets each agent is assigned (0 for those with none)."""
        ...


class RecordingLog(EventLog, Protocol):
    """The event log with this transaction's events so far: triggers walk them."""

    pending: list[Event]
    recorded: list[tuple[int, Event, int]]  # (row id, event, time)


class RulesUnit(AutomationUnit, Protocol):
    @property
    def events(self) -> RecordingLog: ...

    @property
    def rules(self) -> RulesRepo: ...

    def savepoint(self) -> AbstractContextManager[None]:
        """Run a block so that a DomainError inside undoes only its own writes and events
        (a rule whose action fails must not fail the change that fired it)."""
        ...
