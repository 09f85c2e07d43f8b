"""Notifications: what an agent hears about, and how they chose to hear it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NEW_TICKET = "new_ticket"  # a ticket opened in an inbox they work in
    ASSIGNED = "assigned"  # a ticket assigned to them
    CUSTOMER_REPLY = "customer_reply"  # the customer wrote on a ticket assigned to them
    MENTION = "mention"  # an @mention of them in a note
    CHAT_TRANSFER = "chat_transfer"  # a chat handed to them
    RULE = "rule"  # a trigger, time rule or macro asked to tell them (core.rules)
    # A ticket's SLA clock is about to run out / ran out: its assignees, or when it has
    # none, the agents who work in its inbox (core.automation.service_levels records them).
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    # An agent's reply that bounced, was refused, or whose delivery is unknown: told like
    # the SLA's alarms (the ticket's assignees, else its inbox's agents), quoting the line
    # the ticket's thread got, which names the recipients and the reason.
    MAIL_FAILED = "mail_failed"


class Delivery(StrEnum):
    INSTANT = "instant"  # one mail per notification
    HOURLY = "hourly"  # one digest an hour at most, when there is something
    DAILY = "daily"


DIGEST_MS = {Delivery.HOURLY: 3_600_000, Delivery.DAILY: 86_400_000}


@dataclass(frozen=True, slots=True)
class Preferences:
    """Per kind: shown in the web app (`web`) and mailed (`email`)."""

    web: frozenset[Kind] = frozenset(Kind)
    # A new ticket in every inbox one works in would flood a busy team: off by default.
    email: frozenset[Kind] = frozenset(Kind) - {Kind.NEW_TICKET}
    delivery: Delivery = Delivery.INSTANT
    last_digest: int | None = None


# The kinds whose message is a line of the ticket's log that the notification quotes.
QUOTES_LOG = frozenset({Kind.MAIL_FAILED})


@dataclass(frozen=True, slots=True)
class NewNotification:
    account_id: int
    agent_id: int
    kind: Kind
    ticket_id: int | None = None
    conversation_id: int | None = None
    message_id: int | None = None
    by_agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    account_id: int
    agent_id: int
    kind: Kind
    ticket_id: int | None
    conversation_id: int | None
    message_id: int | None
    by_agent_id: int | None
    created: int
    read_at: int | None
    mailed: int | None


@dataclass(frozen=True, slots=True)
class Shown:
    """A notification with what a list or a mail says of it, drawn from live rows."""

    notification: Notification
    title: str  # the ticket's subject, or the chat's visitor
    ticket_number: int | None
    ticket_uuid: str | None
    conversation_public_id: str | None
    by_name: str | None  # the agent who acted
    # What a failed mail's notification quotes: the ticket's log line (recipients, reason).
    detail: str | None = None
