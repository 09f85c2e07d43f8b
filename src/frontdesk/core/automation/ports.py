"""What the automation area needs from storage: webhooks, the event feed, idempotency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.automation.records import (
    Attempt,
    BusinessCalendar,
    CsatSettings,
    Delivery,
    Endpoint,
    FeedEvent,
    FeedQuery,
    SlaPolicy,
    StoredAnswer,
    Survey,
    TicketSla,
)
from frontdesk.core.chat.ports import ChatUnit
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.shared.paging import Window


class WebhookRepo(Protocol):
    def insert_endpoint(self, values: Mapping[str, Any]) -> Endpoint: ...

    def update_endpoint(self, endpoint_id: int, changes: Mapping[str, Any]) -> Endpoint: ...

    def get_endpoint(self, account_id: int, endpoint_id: int) -> Endpoint | None: ...

    def list_endpoints(self, account_id: int) -> list[Endpoint]: ...

    def active_endpoints(self, account_id: int) -> list[Endpoint]: ...

    def delete_endpoint(self, endpoint_id: int) -> None: ...

    def ticket_inboxes(self, ticket_ids: Sequence[int]) -> dict[int, int | None]: ...

    def queue_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def claim_deliveries(self, now: int, limit: int, lease_ms: int) -> list[Delivery]: ...

    def finish_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> set[int]:
        """Record outcomes (each row: id, attempts and the new values; `delivered` and
        `next_attempt` None to keep theirs) on the rows still 'sending' with those
        attempts, i.e. that no other worker claimed since; their ids."""
        ...

    def add_attempts(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def get_delivery(self, account_id: int, delivery_id: int) -> Delivery | None: ...

    def update_delivery(self, delivery_id: int, changes: Mapping[str, Any]) -> Delivery: ...

    def list_deliveries(
        self, account_id: int, endpoint_id: int, *, before_id: int, limit: int
    ) -> list[Delivery]: ...

    def latest_deliveries(self, account_id: int) -> dict[int, Delivery]: ...

    def attempts_of(self, delivery_ids: Sequence[int]) -> dict[int, list[Attempt]]: ...

    def release_deliveries(self, endpoint_id: int, now: int) -> None: ...

    def forget_deliveries(self, status: str, before: int, limit: int) -> int:
        """Delete up to `limit` deliveries in `status` last tried before `before`, with
        their attempts; how many."""
        ...


class EventFeed(Protocol):
    def list_feed(self, account_id: int, query: FeedQuery) -> list[FeedEvent]: ...

    def feed_events(self, event_ids: Sequence[int]) -> dict[int, FeedEvent]:
        """Events by id, of any account (the caller checks whose)."""
        ...


class IdempotencyRepo(Protocol):
    def reserve_key(self, values: Mapping[str, Any]) -> bool:
        """Insert the key's row; False when the account already has one for it."""
        ...

    def find_key(self, account_id: int, key: str) -> StoredAnswer | None: ...

    def finish_key(self, account_id: int, key: str, changes: Mapping[str, Any]) -> None: ...

    def drop_key(self, account_id: int, key: str) -> None: ...

    def drop_expired_key(self, account_id: int, key: str, now: int) -> None: ...

    def drop_expired_keys(self, now: int) -> int: ...


class CsatRepo(Protocol):
    def get_settings(self, account_id: int, inbox_id: int) -> CsatSettings | None: ...

    def put_settings(self, account_id: int, settings: CsatSettings) -> None: ...

    def add_survey(
        self, account_id: int, ticket_id: int, inbox_id: int, agent_id: int | None, now: int
    ) -> int | None:
        """A new survey's id; None when the ticket has one already."""
        ...

    def set_outbox(self, survey_id: int, outbox_id: int | None) -> None: ...

    def withdraw_survey(self, survey_id: int, outbox_id: int | None) -> bool:
        """Delete the survey and its mail if the mail is still queued; whether it was."""
        ...

    def get_survey(self, survey_id: int, *, lock: bool = False) -> Survey | None: ...

    def survey_of_ticket(self, account_id: int, ticket_id: int) -> Survey | None: ...

    def update_survey(self, survey_id: int, changes: Mapping[str, Any]) -> Survey: ...

    def satisfaction(
        self, account_id: int, ticket_id: int, contact_id: int | None
    ) -> tuple[Survey | None, int | None]:
        """The ticket's survey, and the contact's latest chat rating (1..5)."""


class SlaRepo(Protocol):
    """Business-hours calendars, SLA policies and each ticket's stored clocks."""

    def insert_calendar(self, values: Mapping[str, Any]) -> BusinessCalendar: ...

    def update_calendar(self, calendar_id: int, changes: Mapping[str, Any]) -> BusinessCalendar: ...

    def list_calendars(self, account_id: int) -> list[BusinessCalendar]: ...

    def delete_calendar(self, calendar_id: int) -> None: ...

    def insert_policy(self, values: Mapping[str, Any]) -> SlaPolicy: ...

    def update_policy(self, policy_id: int, changes: Mapping[str, Any]) -> SlaPolicy: ...

    def list_policies(self, account_id: int) -> list[SlaPolicy]:
        """In the order they are tried: position, then id."""
        ...

    def delete_policy(self, policy_id: int) -> None: ...

    def ticket_states(self, ticket_ids: Sequence[int]) -> dict[int, TicketSla]: ...

    def save_states(self, states: Sequence[TicketSla], now: int) -> None:
        """Insert or replace each ticket's row."""
        ...

    def open_ticket_ids(self, account_id: int, after_id: int, limit: int) -> list[int]:
        """The account's open, unarchived, unmerged tickets in id order, after `after_id`."""
        ...

    def due_for_check(self, now: int, limit: int) -> list[TicketSla]:
        """Rows whose next warning or breach has come, soonest first, locked for this
        transaction (PostgreSQL skips rows another sweeper holds)."""
        ...

    def labels_of(self, ticket_ids: Sequence[int]) -> dict[int, tuple[str, ...]]: ...

    def agent_replied(self, ticket_ids: Sequence[int]) -> set[int]:
        """Those of the tickets with an external message the team wrote: an agent's, or one
        with neither agent nor contact (a rule's or macro's reply)."""
        ...


class ReportsRepo(Protocol):
    """What the reports dashboard reads. `inbox_id` and `agent_id` (an assignee) narrow
    every read to those tickets; None leaves that side open."""

    def opened(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[tuple[int, int]]:
        """(ticket id, opened at) of the tickets opened in the window."""
        ...

    def first_agent_replies(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[int, int]:
        """Of the tickets opened in the window, each one's first external message by an
        agent (or the team), when any."""
        ...

    def first_solves(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[int, int]:
        """Of the tickets opened in the window, when each was first solved, when it was."""
        ...

    def sla_outcomes(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> tuple[int, int]:
        """Of the tickets opened in the window, (how many an SLA policy covers, how many
        of those breached no target)."""
        ...

    def solves(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[int]:
        """The times of the changes to solved in the window."""
        ...

    def backlog(
        self, account_id: int, inbox_id: int | None, agent_id: int | None
    ) -> dict[str, int]: ...

    def customer_messages(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> list[int]:
        """The times of the customers' messages in the window."""
        ...

    def ratings(
        self, account_id: int, inbox_id: int | None, agent_id: int | None, window: Window
    ) -> dict[str, int]:
        """How many surveys got each rating (`great`, `okay`, `bad`), counted by their
        latest rating's time; narrowed by the survey's own inbox and agent."""
        ...


class AutomationUnit(MailUnit, ChatUnit, Protocol):
    @property
    def csat(self) -> CsatRepo: ...

    @property
    def webhooks(self) -> WebhookRepo: ...

    @property
    def feed(self) -> EventFeed: ...

    @property
    def idempotency(self) -> IdempotencyRepo: ...

    @property
    def sla(self) -> SlaRepo: ...

    @property
    def reports(self) -> ReportsRepo: ...
