"""Request and response models of the webhook and event-feed endpoints (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from frontdesk.api.native.schemas import DbId, Strict


class WebhookIn(Strict):
    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=100)
    inbox_id: DbId | None = None
    description: str | None = Field(default=None, max_length=200)
    active: bool = True


class WebhookPatch(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=100)
    inbox_id: DbId | None = None
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    inbox_id: int | None
    active: bool
    failing_since: int | None
    disabled_reason: str | None
    created: int
    updated: int


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret: shown this once, never again")


class AttemptOut(BaseModel):
    attempt: int
    outcome: str
    response_code: int | None
    error: str | None
    duration_ms: int
    time: int


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: int
    event_type: str
    ticket_id: int | None
    status: str
    attempts: int
    next_attempt: int | None
    response_code: int | None
    last_error: str | None
    last_attempt: int | None
    delivered: int | None
    created: int
    log: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_before_id: int | None


class EventOut(BaseModel):
    id: int
    type: str
    time: int
    actor: str
    ticket_id: int | None
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventOut]
    next_after_id: int | None = Field(
        description="Pass as after_id for the next page; null at the end"
    )
