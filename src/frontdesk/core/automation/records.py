"""Records of the automation area: webhook endpoints, their deliveries, the event feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How the worker treats failures (settings: FRONTDESK_WEBHOOK_*)."""

    retry_base_ms: int
    retry_max_ms: int
    max_attempts: int
    disable_after_ms: int  # an endpoint failing this long is switched off


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
