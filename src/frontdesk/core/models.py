"""Plain records the core works with. Storage fills them; dialects translate them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """One ticket lifecycle; every dialect maps its own words onto it."""

    NEW = "new"  # opened, nobody answered yet
    REPLY = "reply"  # the customer wrote, awaiting an agent
    PENDING = "pending"  # an agent answered, awaiting the customer
    ON_HOLD = "on-hold"
    SOLVED = "solved"
    CLOSED = "closed"


# Row ids are 32-bit integers on both databases: a larger number names no row, and is
# refused as input rather than passed to PostgreSQL, which would reject the comparison.
MAX_ROW_ID = 2_147_483_647

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


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class Scope(StrEnum):
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    CHAT_READ = "chat:read"
    CHAT_WRITE = "chat:write"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)


class CredentialKind(StrEnum):
    API_KEY = "api_key"  # a developer's key, scoped
    CUSTOMER = "customer"  # a customer token, bound to one contact


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: every core call runs on behalf of exactly one account."""

    account_id: int
    label: str
    scopes: frozenset[Scope] = frozenset()
    agent_id: int | None = None
    contact_id: int | None = None
    credential_id: int | None = None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    public_id: str
    created: int


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    account_id: int
    name: str
    email: str
    role: Role
    picture_url: str | None
    department: str | None
    groups: tuple[str, ...]
    is_back_office: bool
    last_active: int | None
    created: int
    inbox_ids: tuple[int, ...] = ()
    password_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Inbox:
    id: int
    account_id: int
    name: str
    email: str
    auto_reply: str | None
    created: int


@dataclass(frozen=True, slots=True)
class Named:
    """A category, department or custom field definition: a name within an account."""

    id: int
    account_id: int
    name: str
    created: int


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    account_id: int
    email: str
    name: str | None
    phone: str | None
    company: str | None
    external_id: str | None
    created: int


@dataclass(frozen=True, slots=True)
class Credential:
    id: int
    account_id: int
    kind: CredentialKind
    name: str
    key_id: str
    scopes: frozenset[Scope]
    contact_id: int | None
    created: int
    last_used: int | None
    revoked: int | None
    secret_hash: str = field(default="", repr=False)


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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


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
class Event:
    """Something that happened; recorded in the same transaction, published after commit."""

    account_id: int
    kind: str
    actor: str
    ticket_id: int | None = None
    data: dict[str, object] = field(default_factory=dict)
