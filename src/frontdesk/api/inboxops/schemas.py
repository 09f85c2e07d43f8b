"""InboxOps requests and responses: the vendor's camelCase names, UUIDs for every object.

Unknown body fields are ignored (a client written for the vendor may send fields its text
does not list); unknown query parameters likewise. Every value that is present is checked:
a malformed UUID, a word outside the documented set or a limit out of range is a 400
that says what would have been right.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from starlette.datastructures import QueryParams

from frontdesk.api.inboxops import words
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.tickets import MAX_BODY, MAX_SUBJECT
from frontdesk.core.tickets.records import UNASSIGNED, Archived, Priority, TicketQuery
from frontdesk.core.tickets.search import MAX_LIMIT, MAX_OFFSET, search_words

DEFAULT_LIMIT = 100
MAX_ID = MAX_ROW_ID
MAX_TAGS = 100
MAX_IDS = 1000
_INTEGER = re.compile(r"[0-9]{1,10}")


def canonical_uuid(value: str, field: str) -> str:
    """The UUID in its stored form (lower case, hyphens); Invalid (400) if it is none."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise Invalid("invalid_id", f"{field} must be a UUID", field=field) from None


def _uuid(value: object) -> object:
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise ValueError("must be a UUID")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def user_id(value: object) -> int | str | None:
    """A user id: the agent's UUID (as the spec shows users), or its number, as a string or
    a number (as Frontdesk showed them before, so those keep working). None for null."""
    if value is None:
        return None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise ValueError("must be a user id (the agent's UUID or number) or null")


Uuid = Annotated[str, BeforeValidator(_uuid)]
Body = Annotated[str, Field(max_length=MAX_BODY), AfterValidator(_no_nul)]
AgentId = Annotated[int | str | None, BeforeValidator(user_id)]
Tag = Annotated[str, Field(max_length=200)]
Address = Annotated[str, Field(max_length=320)]


class In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TicketIn(In):
    subject: Annotated[str, Field(max_length=MAX_SUBJECT), AfterValidator(_no_nul)]
    body: Body
    # Frontdesk additions, all optional: who asked, and how to file it.
    requesterEmail: Address | None = None
    requesterName: Annotated[str, Field(max_length=200)] | None = None
    priority: Priority = Priority.NORMAL
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    assigneeId: AgentId = None


class TicketPatch(In):
    """Fields left out stay as they are; `assigneeId: null` unassigns."""

    assigneeId: AgentId = None
    priority: Priority | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)


class MessageIn(In):
    body: Body
    bodyHtml: Body | None = None
    isInternal: bool = False
    sendEmail: bool = False
    toAddresses: list[Address] = Field(default_factory=list, max_length=50)
    # Absent (or null): reply to all, i.e. copy whoever else the customer's latest mail
    # went to (docs/inboxops.md); a list, even empty, is used as given.
    ccAddresses: list[Address] | None = Field(default=None, max_length=50)
    attachmentIds: list[Uuid] = Field(default_factory=list, max_length=100)


class StatusIn(In):
    toStatus: str = Field(max_length=40)
    reason: Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)] | None = None


class MergeIn(In):
    targetTicketId: Uuid
    # Not in the vendor's text (docs/inboxops.md): two customers' tickets merge only with it.
    force: bool = False


class SplitIn(In):
    messageIds: list[Uuid] = Field(min_length=1, max_length=MAX_IDS)
    newSubject: Annotated[str, Field(max_length=MAX_SUBJECT), AfterValidator(_no_nul)] | None = None


# -- responses ------------------------------------------------------------------------------


class AttachmentOut(BaseModel):
    id: str
    ticketId: str | None
    messageId: str | None
    fileName: str
    contentType: str
    size: int
    url: str
    createdAt: str


class MessageOut(BaseModel):
    id: str
    ticketId: str
    type: str  # reply | note | log
    isInternal: bool
    body: str
    bodyHtml: str
    authorType: str  # agent | customer | system
    authorId: str | None
    fromAddress: str | None
    fromName: str | None
    toAddresses: list[str]
    ccAddresses: list[str]
    attachments: list[AttachmentOut]
    createdAt: str
    # Frontdesk's addition: mail whose sender could not be verified (docs/inboxops.md).
    unverifiedSender: bool


class PostedMessageOut(MessageOut):
    """The answer to POST .../messages: the message, and whether it went out as e-mail."""

    emailSent: bool  # an e-mail was queued for sending (docs/inboxops.md)
    emailNotSentReason: str | None  # internal_note, no_recipient; null when sent or not asked
    # Where that e-mail is: "queued" in this answer (the relay has not taken it yet), null
    # when none was queued. Never "sent" here: the outbox worker sends after the commit.
    emailStatus: str | None


class TicketOut(BaseModel):
    id: str
    workspaceId: str
    ticketNumber: int
    subject: str
    status: str
    priority: str
    assigneeId: str | None
    tags: list[str]
    requesterEmail: str | None
    requesterName: str | None
    archivedAt: str | None
    mergedIntoId: str | None
    createdAt: str
    updatedAt: str
    lastActivityAt: str


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class SplitOut(BaseModel):
    ticket: TicketDetailOut
    movedCount: int


# -- the list's query string ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListQuery:
    assignee: int | str | None  # UNASSIGNED, an agent id, or an agent UUID to look up
    query: TicketQuery
    offset: int
    limit: int


def list_query(params: QueryParams) -> ListQuery:
    """status and tags may repeat (`?status=open&status=pending`); the rest appear once."""
    statuses = frozenset().union(*(words.statuses(word) for word in _all(params, "status")))
    priority = _one(params, "priority")
    assignee = _one(params, "assignee")
    return ListQuery(
        assignee=_assignee(assignee) if assignee is not None else None,
        query=TicketQuery(
            statuses=statuses,
            priority=words.priority(priority) if priority is not None else None,
            tags=_tags(params),
            assignee=None,
            words=search_words(_one(params, "search")),
            archived=_archived(_one(params, "archived")),
        ),
        offset=_integer(params, "offset", 0, 0, MAX_OFFSET),
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    )


def _all(params: QueryParams, name: str) -> list[str]:
    return [value for value in params.getlist(name) if value.strip()]


def _one(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise Invalid("repeated_parameter", f"{name} may be given only once", field=name)
    return values[0] if values and values[0].strip() else None


def _tags(params: QueryParams) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(tag.strip() for tag in _all(params, "tags")))
    if len(tags) > MAX_TAGS or any(len(tag) > 200 for tag in tags):
        raise Invalid("invalid_tags", f"at most {MAX_TAGS} tags of 200 characters", field="tags")
    return tags


def _assignee(value: str) -> int | str:
    """A user id (UUID or number), or `none` for unassigned tickets."""
    if value.strip().lower() in ("none", "null", "unassigned"):
        return UNASSIGNED
    try:
        found = user_id(value)
    except ValueError:
        found = None
    if found is None:
        raise Invalid(
            "invalid_assignee",
            "assignee must be a user id (UUID or number), or none for unassigned",
            field="assignee",
        )
    return found


def _archived(value: str | None) -> Archived:
    if value is None:
        return Archived.EXCLUDE
    word = value.strip().lower()
    aliases = {"false": Archived.EXCLUDE, "true": Archived.ONLY}
    try:
        return aliases.get(word) or Archived(word)
    except ValueError:
        raise Invalid(
            "invalid_archived",
            "archived must be one of exclude, include, only (or false, true)",
            field="archived",
        ) from None


def _integer(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    value = _one(params, name)
    if value is None:
        return default
    if not _INTEGER.fullmatch(value.strip()) or not low <= int(value) <= high:
        raise Invalid(
            f"invalid_{name}", f"{name} must be a whole number from {low} to {high}", field=name
        )
    return int(value)
