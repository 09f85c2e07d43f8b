"""Request and response models of the ticket list, the all-in-one PATCH and DELETE."""

from __future__ import annotations

from pydantic import BaseModel, Field

from frontdesk.api.native.schemas import DbId, Strict
from frontdesk.core.tickets.records import Priority, Status


class TicketPatch(Strict):
    """Every field is optional; those given are changed together or not at all.

    A list replaces the ticket's whole set (`[]` empties it); `custom_fields` sets the
    fields named (a null value clears one) and leaves the others as they are.
    """

    subject: str | None = Field(default=None, min_length=1, max_length=1000)
    status: Status | None = None
    status_reason: str | None = Field(default=None, max_length=2000)
    force: bool = Field(default=False, description="With status `closed`: force-closed")
    priority: Priority | None = None
    assignee_ids: list[DbId] | None = Field(default=None, max_length=100)
    labels: list[str] | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=100)
    custom_fields: dict[str, str | None] | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=100_000)


class TicketSummary(BaseModel):
    """What a list shows of one ticket; GET /tickets/{id} has the rest."""

    id: int
    uuid: str
    number: int
    subject: str
    status: Status
    priority: Priority
    inbox_id: int | None
    inbox_name: str | None
    requester_id: int | None
    requester_name: str | None
    requester_email: str | None
    labels: list[str]
    tags: list[str]
    assignee_ids: list[int]
    merged_into_id: int | None
    created: int
    updated: int
    latest_activity: int
    client_last_replied: int | None
    version: int


class TicketPageOut(BaseModel):
    tickets: list[TicketSummary]
    next_cursor: str | None = Field(description="Pass as `after` for the next page")
    previous_cursor: str | None = Field(description="Pass as `before` for the page before")
