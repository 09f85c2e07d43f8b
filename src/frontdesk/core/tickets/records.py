"""Tickets, their messages and files, and the shapes lists and searches return."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from frontdesk.core.shared.paging import Window


class Status(StrEnum):
    """One ticket lifecycle; every dialect maps its own words onto it."""

    NEW = "new"  # opened, nobody answered yet
    REPLY = "reply"  # the customer wrote, awaiting an agent
    PENDING = "pending"  # an agent answered, awaiting the customer
    ON_HOLD = "on-hold"
    SOLVED = "solved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.NEW, Status.REPLY, Status.PENDING, Status.ON_HOLD})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class MessageKind(StrEnum):
    EXTERNAL = "external"  # to or from the customer
    INTERNAL = "internal"  # a private note between agents
    LOG = "log"  # written by the system when something happens


@dataclass(frozen=True, slots=True)
class Named:
    """A category, department or custom field definition: a name within an account."""

    id: int
    account_id: int
    name: str
    created: int


class FieldType(StrEnum):
    """What a custom field holds. Values are stored as strings in every type, in one
    normal form per type (core/tickets/field_types.py), so each dialect reads them as text."""

    TEXT = "text"  # one line
    MULTILINE = "multiline"
    NUMBER = "number"  # a decimal: "12", "-0.5"
    DATE = "date"  # YYYY-MM-DD
    CHECKBOX = "checkbox"  # "yes" or "no"
    DROPDOWN = "dropdown"  # one of the definition's options


@dataclass(frozen=True, slots=True)
class CustomField(Named):
    """A custom field definition: a name with a type; a dropdown's options in their order."""

    type: FieldType = FieldType.TEXT
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelUse:
    """A label the account uses, and how many of its tickets carry it (archived too)."""

    name: str
    tickets: int


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    uuid: str
    account_id: int
    number: int
    subject: str
    status: Status
    priority: Priority
    category_id: int | None
    department_id: int | None
    inbox_id: int | None
    requester_id: int | None
    notes: str
    archived_at: int | None
    merged_into_id: int | None
    force_closed: bool
    created: int
    updated: int
    latest_activity: int
    client_last_replied: int | None
    client_last_read: int | None
    version: int = 1  # one more with every change of the ticket (the native API's ETag)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class VersionCondition:
    """A client's condition on a ticket's current version (HTTP If-Match): one of
    `versions`, or any version at all (`*`)."""

    versions: frozenset[int] = frozenset()
    any_version: bool = False

    def holds(self, version: int) -> bool:
        return self.any_version or version in self.versions


@dataclass(frozen=True, slots=True)
class TicketDetails:
    """The many-valued parts of a ticket, loaded in one batch for a page of tickets."""

    labels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    assignee_ids: tuple[int, ...] = ()
    linked_ids: tuple[int, ...] = ()
    custom_fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    uuid: str
    account_id: int
    ticket_id: int
    kind: MessageKind
    agent_id: int | None
    contact_id: int | None
    from_email: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    body_text: str
    body_html: str
    email_message_id: str | None
    created: int
    # Whom the message was written to when not the ticket's requester (a forced merge).
    audience_contact_id: int | None = None
    # The sender's address could not be verified (mail whose From disagrees with the
    # envelope or the receiving MTA's authentication results).
    unverified: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    uuid: str
    account_id: int
    ticket_id: int | None
    message_id: int | None
    contact_id: int | None
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str
    created: int


@dataclass(frozen=True, slots=True)
class TicketFilter:
    updated: Window = Window()
    latest_activity: Window = Window()
    requester_email: str | None = None
    status: Status | None = None
    labels: tuple[str, ...] = ()  # any of them


@dataclass(frozen=True, slots=True)
class ListedTicket:
    """A ticket as a list shows it: with its inbox's name, requester address and labels."""

    ticket: Ticket
    inbox_name: str | None
    requester_email: str | None
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EmailCursor:
    created: int
    id: int


@dataclass(frozen=True, slots=True)
class ListedEmail:
    """One e-mail sent or received on a ticket: an external message with an address."""

    id: int
    ticket_id: int
    created: int
    from_email: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    inbox_name: str | None
    unverified: bool = False  # the sender could not be verified
    agent_id: int | None = None  # the agent who wrote it, for the team's mail


class Archived(StrEnum):
    """Which tickets a list shows with respect to archiving."""

    EXCLUDE = "exclude"  # the inbox: archived tickets are hidden (the default)
    INCLUDE = "include"
    ONLY = "only"


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Filters that all apply at once (AND); within `statuses`, any one matches (OR).

    `words` are matched as whole words against the ticket's subject and the bodies of its
    replies and notes; every word must occur somewhere in the ticket. `assignee` is an
    agent id, or UNASSIGNED for tickets nobody is assigned to.
    """

    statuses: frozenset[Status] = frozenset()
    priority: Priority | None = None
    tags: tuple[str, ...] = ()  # the ticket carries every one of them
    assignee: int | None = None
    words: tuple[str, ...] = ()
    archived: Archived = Archived.EXCLUDE
    inbox_id: int | None = None
    labels: tuple[str, ...] = ()  # the ticket carries every one of them
    created: Window = Window()
    updated: Window = Window()
    merged: bool = True  # False leaves out tickets merged into another


class Sort(StrEnum):
    """The orders a queue pages in, each newest (or most urgent) first, ties by id."""

    ACTIVITY = "activity"  # latest activity
    CREATED = "created"
    PRIORITY = "priority"  # urgent first, then latest activity
    # SLA due time, soonest (most overdue) first; only tickets with a counting SLA clock
    # have one, so only they are in this order (docs/automation.md)
    DUE = "due"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A ticket on a queue page, with what the page shows beside it, read in one statement."""

    ticket: Ticket
    inbox_name: str | None
    requester_name: str | None
    requester_email: str | None
    read_at: int | None  # when the listing agent last read it
    sla_due: int | None = None  # the soonest due time of its counting SLA clocks
    sla_breached: bool = False


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


UNASSIGNED = 0  # no agent has this id: ids start at 1


@dataclass(frozen=True, slots=True)
class CustomerTicket:
    """A ticket as its requester sees it in a list: no contents, a few derived figures."""

    ticket: Ticket
    category_name: str | None
    user_replies: int  # external messages written by the customer side


@dataclass(frozen=True, slots=True)
class Draft:
    """An agent's unsent reply or note on a ticket; addresses as typed."""

    ticket_id: int
    agent_id: int
    kind: str  # reply | note
    body: str
    to: str
    cc: str
    bcc: str
    updated: int


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """A reply kept for reuse by the whole account, found by its shortcut word."""

    id: int
    account_id: int
    shortcut: str
    body: str  # may hold {visitor_name} and {agent_name}
    created: int
    updated: int
