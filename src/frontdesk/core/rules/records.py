"""Records of the rules area: triggers, time rules and macros, their conditions and actions.

A rule is data an admin writes (stored as JSON), so conditions and actions are plain
(subject, operator, value) triples checked when saved and interpreted by `conditions`
and `actions`. Another area adds a condition (part B's SLA due times) by registering a
test for a new subject (`conditions.register`) and filling `TicketFacts.extra`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from frontdesk.core.shared.records import Event
from frontdesk.core.tickets.records import Ticket, TicketDetails

# A condition's or action's value: one word, several, a number or a yes/no.
Value = str | int | bool | tuple[str, ...]


class RuleKind(StrEnum):
    TRIGGER = "trigger"  # runs on events, in the transaction that recorded them
    TIME_RULE = "time_rule"  # runs on the scheduler's sweep over open tickets
    MACRO = "macro"  # runs when an agent applies it to one ticket


class Match(StrEnum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Condition:
    subject: str  # what is tested: "status", "labels", "field:Plan", "unassigned_minutes" ...
    operator: str  # "is", "is_not", "has", "has_not", "contains", "at_least", "at_most" ...
    value: Value = ""


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # "set_status", "add_labels", "assign", "note", "reply", "notify", "webhook" ...
    value: Value = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    account_id: int
    kind: RuleKind
    name: str
    position: int  # triggers and time rules run in (position, id) order
    active: bool
    match: Match
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    reply: str  # a macro's reply text with placeholders; "" for none
    created: int
    updated: int


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a condition may look at: one ticket as it stands, and the event if any.

    `event` is None on a time rule's sweep. The `*_since` times are when the ticket
    entered its present status / became unassigned (ms; None when it is assigned).
    `extra` holds facts other areas compute (SLA due times: `sla.<target>_due`).
    """

    ticket: Ticket
    details: TicketDetails
    now: int
    requester_email: str | None = None
    channel: str = ""
    event: Event | None = None
    body: str = ""  # the text of the message the event added, if it added one
    business_hours: bool = True  # `now` within the hours of the ticket's SLA calendar
    status_since: int | None = None
    unassigned_since: int | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
