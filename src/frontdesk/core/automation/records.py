"""Records of the automation area: webhook endpoints, their deliveries, the event feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from frontdesk.core.automation.calendars import Calendar
from frontdesk.core.automation.sla import SlaState, Targets
from frontdesk.core.tickets.records import Priority


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting for its turn (or for its next attempt)
    SENDING = "sending"  # claimed by a worker until its lease ends
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # a lasting refusal, or out of attempts


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where an account's events are POSTed; `secret` is the sealed signing secret."""

    id: int
    account_id: int
    url: str
    description: str
    event_types: tuple[str, ...]
    inbox_id: int | None
    active: bool
    failing_since: int | None
    disabled_reason: str | None
    created: int
    updated: int
    secret: str = field(repr=False, default="")


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    account_id: int
    endpoint_id: int
    event_id: int
    ticket_id: int | None
    kind: str
    status: DeliveryStatus
    attempts: int
    next_attempt: int
    body: str | None
    response_code: int | None
    last_error: str | None
    last_attempt: int | None
    delivered: int | None
    created: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a delivery, as the delivery log shows it."""

    delivery_id: int
    attempt: int
    outcome: str  # delivered | retry | failed
    response_code: int | None
    error: str | None
    duration_ms: int
    created: int


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """A recorded event as the feed and webhook bodies show it."""

    id: int
    account_id: int
    kind: str
    actor: str
    ticket_id: int | None
    data: dict[str, object]
    created: int


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """Which events to list: kinds (exact, or `area.*`), one ticket, a time range."""

    kinds: tuple[str, ...] = ()
    ticket_id: int | None = None
    since: int | None = None
    until: int | None = None
    after_id: int = 0
    limit: int = 100
    actor: str | None = None  # who acted, as events name them ("agent:12", "api_key:3")
    before_id: int | None = None  # newest first: events older than this one
    newest_first: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How the worker treats failures (settings: FRONTDESK_WEBHOOK_*)."""

    retry_base_ms: int
    retry_max_ms: int
    max_attempts: int
    disable_after_ms: int  # an endpoint failing this long is switched off
    keep_delivered_ms: int = 30 * 86_400_000  # then a delivered row and its log go
    keep_failed_ms: int = 90 * 86_400_000  # longer: an admin may still redeliver it


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What an Idempotency-Key's first request answered, to be replayed."""

    fingerprint: str
    finished: bool
    status_code: int | None
    body: str | None
    headers: dict[str, str]
    created: int
    expires: int


@dataclass(frozen=True, slots=True)
class CsatSettings:
    """An inbox's satisfaction survey: on or off, how long after solving, and its text."""

    inbox_id: int
    enabled: bool
    delay_minutes: int
    text: str
    updated: int


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """An account's named business-hours calendar (calendars.Calendar holds the rules)."""

    id: int
    account_id: int
    name: str
    calendar: Calendar
    created: int
    updated: int


@dataclass(frozen=True, slots=True)
class Survey:
    """One ticket's satisfaction survey and, once the customer answered, its rating."""

    id: int
    account_id: int
    ticket_id: int
    inbox_id: int | None
    agent_id: int | None
    outbox_id: int | None
    rating: str | None  # great | okay | bad
    comment: str | None
    first_rated: int | None
    rated: int | None
    created: int


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """What a ticket's page shows of how its customer felt: the ticket's survey, and the
    rating (1..5) of the customer's latest rated chat, from the chat widget."""

    survey: Survey | None
    chat_rating: int | None


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets per priority for the tickets it matches: the first policy (by position)
    whose inbox and label (each optional) fit a ticket applies to it."""

    id: int
    account_id: int
    name: str
    position: int
    inbox_id: int | None
    label: str | None
    calendar_id: int | None  # None: every minute counts
    targets: tuple[tuple[Priority, Targets], ...]
    warn_minutes: int
    created: int
    updated: int

    def targets_for(self, priority: Priority) -> Targets:
        return dict(self.targets).get(priority, Targets())


@dataclass(frozen=True, slots=True)
class TicketSla:
    """A ticket's SLA clocks as stored; `due` and `next_check` are kept in columns so the
    list's "due soonest" and the sweep are index scans."""

    ticket_id: int
    account_id: int
    policy_id: int | None
    state: SlaState
    due: int | None
    breached: bool
    next_check: int | None
