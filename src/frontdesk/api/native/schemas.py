"""Request and response models of Frontdesk's own API (/api/v1). Unknown fields are refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.identity.records import Role
from frontdesk.core.shared.records import MAX_ROW_ID, Scope
from frontdesk.core.tickets.records import FieldType, MessageKind, Priority, Status

# Row ids are 32-bit on every backend; a larger number is bad input, not a database error.
DbId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- account and settings ------------------------------------------------------------------


class AccountOut(BaseModel):
    id: int
    name: str
    public_id: str
    created: int
    time_zone: str = Field(description="IANA name; empty: the installation's default")
    language: str = Field(description="en or sv: customers' language when theirs is unknown")
    logo_url: str | None = Field(description="the portal's public address of the logo")


class AccountPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)


class AgentIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    role: Role = Role.AGENT
    picture_url: str | None = Field(default=None, max_length=2000)
    department: str | None = Field(default=None, max_length=200)
    groups: list[str] = Field(default_factory=list, max_length=100)
    is_back_office: bool = False
    password: str | None = Field(default=None, max_length=1000)
    inbox_ids: list[DbId] | None = Field(default=None, max_length=1000)


class AgentPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: Role | None = None
    picture_url: str | None = Field(default=None, max_length=2000)
    department: str | None = Field(default=None, max_length=200)
    groups: list[str] | None = Field(default=None, max_length=100)
    is_back_office: bool | None = None
    password: str | None = Field(default=None, max_length=1000)
    inbox_ids: list[DbId] | None = Field(default=None, max_length=1000)


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    picture_url: str | None
    department: str | None
    groups: list[str]
    is_back_office: bool
    last_active: int | None
    created: int
    inbox_ids: list[DbId]


class InboxIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    auto_reply: str | None = Field(default=None, max_length=20_000)


class InboxPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    auto_reply: str | None = Field(default=None, max_length=20_000)
    signature: str | None = Field(
        default=None, max_length=4000, description="placeholders {agent_name}, {inbox_name}"
    )


class InboxOut(BaseModel):
    id: int
    name: str
    email: str
    auto_reply: str | None
    created: int
    signature: str | None = None


class NamedIn(Strict):
    name: str = Field(min_length=1, max_length=200)


class NamedOut(BaseModel):
    id: int
    name: str
    created: int


class CustomFieldIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    type: FieldType = Field(default=FieldType.TEXT, description="What values the field takes")
    options: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100, description="A dropdown's options, in order"
    )


class CustomFieldPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: FieldType | None = None
    options: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None,
        max_length=100,
        description="Replaces the list; absent keeps it while the field stays a dropdown",
    )


class CustomFieldOut(BaseModel):
    id: int
    name: str
    created: int
    type: FieldType
    options: list[str]


class ContactIn(Strict):
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)


class ContactOut(BaseModel):
    id: int
    email: str
    name: str | None
    phone: str | None
    company: str | None
    external_id: str | None
    created: int


class ApiKeyIn(Strict):
    name: str = Field(default="", max_length=200)
    scopes: list[Scope] = Field(min_length=1)


class CustomerTokenIn(Strict):
    contact_id: DbId
    name: str = Field(default="", max_length=200)


class CredentialOut(BaseModel):
    id: int
    name: str
    key_id: str
    scopes: list[str]
    contact_id: int | None
    created: int
    last_used: int | None
    revoked: int | None


class IssuedOut(CredentialOut):
    token: str = Field(description="Shown once; only a hash is kept.")


# -- tickets ---------------------------------------------------------------------------------


class MessageIn(Strict):
    body: str | None = Field(default=None, max_length=1_000_000)
    body_html: str | None = Field(default=None, max_length=1_000_000)
    kind: MessageKind = MessageKind.EXTERNAL
    agent_id: DbId | None = None
    from_email: str | None = Field(default=None, max_length=254)
    from_name: str | None = Field(default=None, max_length=200)
    to: list[str] = Field(default_factory=list, max_length=100)
    cc: list[str] = Field(default_factory=list, max_length=100)
    bcc: list[str] = Field(default_factory=list, max_length=100)
    attachment_ids: list[DbId] = Field(default_factory=list, max_length=100)
    status: Status | None = None


class TicketIn(Strict):
    subject: str = Field(min_length=1, max_length=1000)
    message: MessageIn
    requester_email: str | None = Field(default=None, max_length=254)
    requester_name: str | None = Field(default=None, max_length=300)
    inbox_id: DbId | None = None
    category_id: DbId | None = None
    department_id: DbId | None = None
    priority: Priority = Priority.NORMAL
    labels: list[str] = Field(default_factory=list, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=100)
    assignee_ids: list[DbId] = Field(default_factory=list, max_length=100)
    custom_fields: dict[str, str] = Field(default_factory=dict, max_length=100)
    notes: str = Field(default="", max_length=100_000)
    append_to_open: bool = False


class StatusIn(Strict):
    status: Status
    reason: str | None = Field(default=None, max_length=2000)
    force: bool = False


class ValuesIn(Strict):
    values: list[str] = Field(max_length=100)


class AssignIn(Strict):
    agent_ids: list[DbId] = Field(max_length=100)


class MergeIn(Strict):
    target_id: DbId
    # Tickets of two different requesters are merged only when the caller says so.
    force: bool = False


class SplitIn(Strict):
    message_ids: list[DbId] = Field(min_length=1, max_length=1000)
    subject: str | None = Field(default=None, max_length=1000)


class AttachmentOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    message_id: int | None
    url: str


class MessageOut(BaseModel):
    id: int
    uuid: str
    kind: MessageKind
    agent_id: int | None
    contact_id: int | None
    from_email: str | None
    from_name: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    body: str
    body_html: str
    created: int
    attachments: list[AttachmentOut]
    unverified: bool = Field(
        description="Mail whose From address the receiving side could not verify"
    )


class TicketOut(BaseModel):
    id: int
    uuid: str
    number: int
    subject: str
    status: Status
    priority: Priority
    category_id: int | None
    department_id: int | None
    inbox_id: int | None
    requester_id: int | None
    notes: str
    labels: list[str]
    tags: list[str]
    assignee_ids: list[DbId]
    linked_ids: list[int]
    custom_fields: dict[str, str]
    archived_at: int | None
    merged_into_id: int | None
    force_closed: bool
    created: int
    updated: int
    latest_activity: int
    client_last_replied: int | None
    client_last_read: int | None
    version: int = Field(description="Raised by every change; sent as the ETag")
    messages: list[MessageOut] | None = None


class SplitOut(BaseModel):
    ticket: TicketOut
    moved: int


class Health(BaseModel):
    status: str
