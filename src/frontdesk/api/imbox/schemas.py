"""ImBox requests and responses: field names exactly as the vendor prints them.

Query strings are parsed here by hand rather than by FastAPI, so that every bad value gets
a message that says what would have been right, and unknown or repeated parameters are
refused instead of silently ignored (a mistyped filter would otherwise return everything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import QueryParams

from frontdesk.core.shared.addresses import MAX_ADDRESS, is_address
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.paging import Window
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.tickets.listing import MAX_PAGE
from frontdesk.core.tickets.records import EmailCursor, Status, TicketFilter

DEFAULT_LIMIT = 100
DEFAULT_TIMEZONE = "Europe/Stockholm"
MAX_ID = MAX_ROW_ID
MAX_LABELS = 50
_INTEGER = re.compile(r"[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A `+` in an offset that was not percent-encoded arrives as a space.
_SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_HELP = "a date (2020-01-01) or a date-time (2020-01-01T12:00:00.000Z)"


# -- responses ---------------------------------------------------------------------------------


def only_when_true() -> Any:
    """A flag Frontdesk adds to the vendor's shapes, sent only when true: a client that
    compares a message with the spec's example still sees exactly that example."""
    return Field(default=False, exclude_if=lambda value: not value)


class Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class TicketOut(Out):
    sid: int
    inboxName: str | None
    ticketID: int
    status: str
    subject: str
    fromEmail: str | None
    labels: list[str]
    createdDate: str
    updatedDate: str
    latestUpdated: str


class TicketListOut(Out):
    result: str = "success"
    data: list[TicketOut] = Field(serialization_alias="json")
    length: int
    next: str | None = None


class MessageOut(Out):
    sid: int
    ticketID: str
    sender: str | None = Field(serialization_alias="from")
    fromName: str | None
    agentID: int | None
    messageType: str
    messagePlain: str
    messageHtml: str
    attachments: list[str]
    date: str
    unverifiedSender: bool = only_when_true()  # Frontdesk's addition (docs/imbox.md)


class TagOut(Out):
    tag: str


class LabelOut(Out):
    label: str


class LinkedOut(Out):
    ticketId: int


class AssignedOut(Out):
    id: int
    agentName: str
    agentEmail: str


class FieldOut(Out):
    title: str
    value: str


class MetaOut(Out):
    tags: list[TagOut]
    labels: list[LabelOut]
    notes: str
    linkedTickets: list[LinkedOut]
    ticketStatus: str
    assignedAgents: list[AssignedOut]
    customFields: list[FieldOut]


class GrabOut(Out):
    result: str = "success"
    data: list[MessageOut] = Field(serialization_alias="json")
    length: int
    meta: MetaOut


class AddressOut(Out):
    address: str


class FromOut(Out):
    address: str | None
    name: str | None


class EmailOut(Out):
    createdDate: str
    inboxName: str | None
    sender: FromOut = Field(serialization_alias="from")
    ticketID: int
    agentID: int | None  # Frontdesk's addition: the agent who wrote a team mail
    to: list[AddressOut]
    cc: list[AddressOut]
    bcc: list[AddressOut]
    unverifiedSender: bool = only_when_true()  # Frontdesk's addition (docs/imbox.md)


class EmailListOut(Out):
    result: str = "success"
    data: list[EmailOut] = Field(serialization_alias="json")
    next: str | None = None
    length: int


class InsertedOut(Out):
    ticketID: int


class InsertOut(Out):
    result: str = "success"
    data: InsertedOut = Field(serialization_alias="json")


# -- insertTicket body --------------------------------------------------------------------------


class InsertTicketIn(BaseModel):
    """The insertTicket body. Unknown fields are refused: a typo must not pass unnoticed."""

    model_config = ConfigDict(extra="forbid")

    fromEmail: str = Field(max_length=MAX_ADDRESS)
    fromName: str | None = Field(default=None, max_length=200)
    message: str = Field(max_length=1_000_000)
    subject: str = Field(max_length=1000)
    toEmail: str = Field(max_length=MAX_ADDRESS)
    appendOpenTicket: bool = True
    attachments: list[str] = Field(default_factory=list, max_length=20)
    assignAgents: list[str] = Field(default_factory=list, max_length=50)
    autoReply: bool = True
    labels: list[str] = Field(default_factory=list, max_length=100)
    messageType: Literal["internal", "external"] = "external"
    status: Status | None = None
    ticketId: int | None = None  # a string in the vendor's text; numbers are taken too

    @field_validator("message", "subject")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("attachments")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        if any(len(value) > 4096 for value in values):
            raise ValueError("a URL may be at most 4096 characters")
        return values

    @field_validator("ticketId", mode="before")
    @classmethod
    def _ticket_id(cls, value: object) -> int | None:
        if value is None or value == "":
            return None
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise ValueError("must be the number of an existing ticket")
        text = str(value).strip()
        if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
            raise ValueError("must be the number of an existing ticket")
        return int(text)


# -- query strings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketQuery:
    filters: TicketFilter
    after_id: int
    limit: int
    csv: bool
    limited: bool = False  # the client gave `limit` (a CSV without it is every row)


@dataclass(frozen=True)
class EmailQuery:
    window: Window
    after: EmailCursor | None
    limit: int
    csv: bool
    limited: bool = False


TICKET_PARAMS = frozenset(
    {
        "limit",
        "updatedAfter",
        "updatedBefore",
        "latestUpdatedAfter",
        "latestUpdatedBefore",
        "fromEmail",
        "status",
        "fileType",
        "cursorId",
        "cursorUpdated",
        "label",
    }
)
EMAIL_PARAMS = frozenset(
    {"limit", "startTime", "endTime", "timezone", "fileType", "cursorId", "cursorCreated"}
)


def ticket_query(params: QueryParams) -> TicketQuery:
    one = _singles(params, TICKET_PARAMS, repeatable={"label"})
    cursor_id = _integer(one, "cursorId")
    if cursor_id is None and "cursorUpdated" in one:
        raise Invalid("invalid_cursor", "cursorUpdated needs cursorId", field="cursorId")
    # cursorUpdated is the updatedDate (ms) of the ticket at cursorId, echoed as ImBox does;
    # the position is the id alone, so it is checked but does not change the result.
    _integer(one, "cursorUpdated")
    filters = TicketFilter(
        updated=_window(one, "updatedAfter", "updatedBefore", UTC),
        latest_activity=_window(one, "latestUpdatedAfter", "latestUpdatedBefore", UTC),
        requester_email=_email(one.get("fromEmail")),
        status=_status(one.get("status")),
        labels=_labels(_many(params, "label")),
    )
    return TicketQuery(filters, _position(cursor_id), _limit(one), _csv(one), "limit" in one)


def email_query(params: QueryParams) -> EmailQuery:
    one = _singles(params, EMAIL_PARAMS)
    for name in ("startTime", "endTime"):
        if not one.get(name, "").strip():
            raise Invalid("required", f"{name} is required: {_DATE_HELP}", field=name)
    window = _window(one, "startTime", "endTime", _zone(one.get("timezone")))
    cursor_id = _integer(one, "cursorId")
    cursor_created = _integer(one, "cursorCreated")
    if (cursor_id is None) != (cursor_created is None):
        raise Invalid(
            "invalid_cursor", "cursorId and cursorCreated go together", field="cursorCreated"
        )
    after = None
    if cursor_id is not None and cursor_created is not None:
        after = EmailCursor(created=cursor_created, id=_position(cursor_id))
    return EmailQuery(window, after, _limit(one), _csv(one), "limit" in one)


def ticket_id(raw: str) -> int:
    """A ticketId from a path; one that no row can have is simply not found."""
    if not _INTEGER.fullmatch(raw):
        raise Invalid("invalid_ticket_id", "ticketId must be a ticket number", field="ticketId")
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise NotFound("ticket_not_found", f"No ticket {value}")
    return value


def attachment_id(raw: str) -> int:
    if not _INTEGER.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        raise NotFound("attachment_not_found", "No such attachment")
    return int(raw)


def _singles(
    params: QueryParams, known: frozenset[str], repeatable: Iterable[str] = ()
) -> dict[str, str]:
    """The known parameters as common clients send them: unknown ones (a cache buster
    `_=123`, a tracking tag) are ignored, a blank value (`status=`) counts as absent, and a
    repeatable one may come in axios' array form (`agentIds[]=1`). A parameter that may
    not repeat still may not: which of two values was meant cannot be guessed."""
    seen: dict[str, str] = {}
    for name, value in _known_items(params, known):
        if name in seen and name not in repeatable:
            raise Invalid("repeated_parameter", f"{name} is given more than once", field=name)
        seen[name] = value
    return seen


def _many(params: QueryParams, name: str) -> list[str]:
    """Every non-blank value of a repeatable parameter (`name` or `name[]`)."""
    return [value for found, value in _known_items(params, frozenset({name}))]


def _known_items(params: QueryParams, known: frozenset[str]) -> Iterable[tuple[str, str]]:
    for raw_name, value in params.multi_items():
        name = raw_name.removesuffix("[]")
        if name in known and value.strip():
            yield name, value


def _integer(one: dict[str, str], name: str) -> int | None:
    raw = one.get(name)
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw.strip()):
        raise Invalid("invalid_integer", f"{name} must be a whole number >= 0", field=name)
    return int(raw)


def _position(cursor_id: int | None) -> int:
    """A cursor id as a position: past the largest id a row can have is simply the end
    (the database would refuse the number itself)."""
    return min(cursor_id or 0, MAX_ID)


def _limit(one: dict[str, str]) -> int:
    raw = one.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _INTEGER.fullmatch(raw.strip()) or not 1 <= int(raw) <= MAX_PAGE:
        raise Invalid(
            "invalid_limit", f"limit must be a whole number from 1 to {MAX_PAGE}", field="limit"
        )
    return int(raw)


def _csv(one: dict[str, str]) -> bool:
    kind = one.get("fileType", "json")
    if kind not in ("json", "csv"):
        raise Invalid("invalid_file_type", 'fileType must be "json" or "csv"', field="fileType")
    return kind == "csv"


def _status(raw: str | None) -> Status | None:
    if raw is None:
        return None
    try:
        return Status(raw)
    except ValueError:
        words = " | ".join(status.value for status in Status)
        raise Invalid("invalid_status", f"status must be one of {words}", field="status") from None


def _email(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip()
    if not is_address(value):
        raise Invalid("invalid_email", "fromEmail is not an e-mail address", field="fromEmail")
    return value


def _labels(values: list[str]) -> tuple[str, ...]:
    if len(values) > MAX_LABELS:
        raise Invalid("too_many_labels", f"At most {MAX_LABELS} labels", field="label")
    labels = tuple(dict.fromkeys(value.strip() for value in values))
    if any(not label or len(label) > 200 for label in labels):
        raise Invalid("invalid_label", "A label is 1 to 200 characters", field="label")
    return labels


def _zone(raw: str | None) -> tzinfo:
    name = (raw or DEFAULT_TIMEZONE).strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "unknown_timezone",
            f"Unknown time zone {name[:60]!r}: use an IANA name such as Europe/Stockholm",
            field="timezone",
        ) from None


def _window(one: dict[str, str], start: str, end: str, zone: tzinfo) -> Window:
    return ordered(
        Window(
            start=_instant(one.get(start), start, zone, end_of_day=False),
            end=_instant(one.get(end), end, zone, end_of_day=True),
        ),
        end,
    )


def ordered(window: Window, end: str) -> Window:
    """The window, or a 400 naming the parameter that ends it (`updatedBefore`, `toDate`)."""
    if window.start is not None and window.end is not None and window.start > window.end:
        raise Invalid("empty_window", f"{end} is before the start of the range", field=end)
    return window


def _instant(raw: str | None, name: str, zone: tzinfo, *, end_of_day: bool) -> int | None:
    """Milliseconds for a date or date-time; a bare date is the whole day, inclusive.

    A date-time without an offset is read in `zone`.
    """
    if raw is None:
        return None
    value = _SPACED_OFFSET.sub(r"\1+\2", raw.strip())
    try:
        if _DAY.fullmatch(value):
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), zone)
            if end_of_day:
                moment += timedelta(days=1, milliseconds=-1)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
        return (moment - _EPOCH) // timedelta(milliseconds=1)
    except (ValueError, OverflowError):
        raise Invalid("invalid_date", f"{name} must be {_DATE_HELP}", field=name) from None
