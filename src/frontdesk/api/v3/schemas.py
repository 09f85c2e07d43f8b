"""Request and response shapes of the v3 customer API, and its RANGED-DATA header.

Field names are the vendor's (camelCase). Unknown body fields are ignored, as clients
written against the vendor may send more than the documented fields. Text fields are
trimmed before their length rules apply; single-line fields refuse control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.core.tickets import customers as rules
from frontdesk.core.tickets.customers import MAX_RESULTS, MAX_START

MAX_ID = MAX_ROW_ID
MAX_CONTENT = 1_000_000
DEFAULT_RESULTS = 25

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _bounds(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


_line = AfterValidator(_one_line)
Title = Annotated[str, _bounds(1, 250), _line]
Name = Annotated[str, _bounds(1, 200), _line]
Content = Annotated[str, Field(max_length=MAX_CONTENT), AfterValidator(_no_nul)]
Csv = Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)]
AttachmentIds = Annotated[list[DbId], Field(max_length=100)]
# The contact form's bounds, as the spec prints them: the core keeps them (the portal's
# form has the same), and checks them again.
FirstName = Annotated[str, _bounds(*rules.FIRST_NAME), _line]
LastName = Annotated[str, _bounds(*rules.LAST_NAME), _line]
CompanyName = Annotated[str, _bounds(*rules.COMPANY), _line]
FormEmail = Annotated[str, _bounds(*rules.EMAIL), _line]
FormTitle = Annotated[str, _bounds(*rules.FORM_TITLE), _line]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=rules.PHONE[0],
        max_length=rules.PHONE[1],
        pattern=rules.PHONE_PATTERN,
    ),
]


class In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TicketIn(In):
    title: Title
    content: Content
    category: Name
    department: Name
    emailCc: Csv
    emailTo: Csv
    attachmentIds: AttachmentIds = Field(default_factory=list)


class ReplyIn(In):
    title: Title
    content: Content
    attachmentIds: AttachmentIds = Field(default_factory=list)


class ContactIn(In):
    """The public contact form."""

    firstName: FirstName
    lastName: LastName
    companyName: CompanyName | None = None
    email: FormEmail
    phone: Phone
    title: FormTitle
    content: Content | None = None
    category: Name


def split_csv(value: str) -> tuple[str, ...]:
    """`a@x.com, b@y.com` -> each address, trimmed; empty parts are skipped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


# -- responses ------------------------------------------------------------------------------


class TicketOut(BaseModel):
    """Exactly the spec's ticket fields; times are Unix seconds."""

    id: int
    hash: str
    readHash: str
    title: str
    categoryName: str
    priorityName: str
    createdAt: int
    updatedAt: int
    clientLastRepliedAt: int | None
    clientLastReadAt: int | None
    status: str
    numUserReplies: int


class AttachmentOut(BaseModel):
    id: int
    fileName: str
    contentType: str
    size: int


class ReplyOut(BaseModel):
    id: int
    content: str
    createdAt: int
    author: Literal["agent", "customer"]
    authorName: str | None
    attachments: list[AttachmentOut]
    # Mail whose sender could not be verified (docs/v3.md); present only when true, so a
    # reply keeps exactly the documented fields otherwise.
    unverifiedSender: bool = Field(default=False, exclude_if=lambda value: not value)


class TicketDetailOut(TicketOut):
    """One ticket: the spec's fields plus the conversation (a Frontdesk addition)."""

    replies: list[ReplyOut]


class UploadOut(BaseModel):
    attachmentId: int


# -- RANGED-DATA ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    start: int = 0
    results: int = DEFAULT_RESULTS


_PART = re.compile(r"\s*([A-Za-z]+)\s*=\s*([0-9]{1,9})\s*")


def parse_range(header: str | None) -> Range:
    """`start=0,results=25`; either part may be left out, a blank header means the default."""
    if header is None or not header.strip():
        return Range()
    values: dict[str, int] = {}
    for part in header.split(","):
        match = _PART.fullmatch(part)
        key = match.group(1).lower() if match else ""
        if match is None or key not in ("start", "results") or key in values:
            raise _bad_range()
        values[key] = int(match.group(2))
    found = Range(**values)
    if found.start > MAX_START or not 1 <= found.results <= MAX_RESULTS:
        raise _bad_range()
    return found


def _bad_range() -> Invalid:
    return Invalid(
        "invalid_range",
        f"RANGED-DATA must read start=N,results=M with N in 0..{MAX_START} and M in "
        f"1..{MAX_RESULTS}, e.g. start=0,results={DEFAULT_RESULTS}",
        field="RANGED-DATA",
    )


def range_header(start: int, shown: int, total: int) -> str:
    """The response's RANGED-DATA: what this page holds and how many there are in all."""
    return f"start={start},results={shown},total={total}"
