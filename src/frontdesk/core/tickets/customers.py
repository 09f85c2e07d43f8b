"""What a company's own customers do from their portal or scripts, always as one contact.

Every function takes a customer actor (Actor.contact_id set, from a customer token) and
sees only the tickets that contact requested. Customers see the conversation only:
external messages. Internal notes and log lines never leave this module.

The one exception to "as one contact" is the public contact form: the actor only names
the account there (a customer token in the v3 API, the portal's path in the web portal),
and the ticket is opened for the contact the form describes. Its rules live here, so the
v3 API and the portal keep the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from frontdesk.core import contacts, tickets
from frontdesk.core.contacts import ContactFields, find_or_create_contact
from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity import accounts
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, NewTicket, attachments
from frontdesk.core.tickets.attachments import StoredFile
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    Attachment,
    CustomerTicket,
    Message,
    MessageKind,
    Status,
    Ticket,
)

MAX_RESULTS = 100


MAX_START = 100_000  # offset paging, bounded (docs/v3.md)


MAX_ADDRESSES = 50


# The public contact form's bounds after trimming, as the v3 spec prints them: the v3
# schemas and the portal's form take them from here.
FIRST_NAME = (2, 64)
LAST_NAME = (2, 128)
COMPANY = (0, 120)
EMAIL = (3, 128)
PHONE = (5, 15)
PHONE_PATTERN = r"^[0-9+()./ -]+$"
FORM_TITLE = (2, 250)
MAX_FORM_CONTENT = 1_000_000
MAX_FORM_FILES = 10
_PHONE = re.compile(PHONE_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: list[CustomerTicket]
    start: int
    total: int


@dataclass(frozen=True, slots=True)
class Reply:
    """One message of the conversation: never an internal note or a log line."""

    message: Message
    by_agent: bool
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True, slots=True)
class CustomerThread:
    summary: CustomerTicket
    replies: list[Reply]


@dataclass(frozen=True)
class NewCustomerTicket:
    title: str
    content: str
    category: str  # by name
    department: str  # by name
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    attachment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ContactForm:
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    category: str
    company: str | None = None
    content: str | None = None
    department: str | None = None  # by name; the portal's form offers it, v3's has none


@dataclass(frozen=True)
class FormFiles:
    """Files sent with a contact form (the portal's), their bytes already in the blob
    store; their rows are the form's contact's."""

    files: tuple[StoredFile, ...]
    limit: int  # bytes per file


def is_customer_reply(message: Message) -> bool:
    """The rule storage's batched count applies in SQL (storage/tickets/listing.py): a
    customer's message on their own ticket (not one a forced merge brought in)."""
    return (
        message.kind is MessageKind.EXTERNAL
        and message.contact_id is not None
        and message.audience_contact_id is None
    )


def shown_to(message: Message, customer: Contact) -> bool:
    """Whether a customer reads this message on their ticket: its conversation, except
    what a forced merge brought in from another customer's ticket, unless the customer
    wrote it or it was addressed to them."""
    if message.kind is not MessageKind.EXTERNAL:
        return False
    if message.audience_contact_id in (None, customer.id) or message.contact_id == customer.id:
        return True
    address = customer.email.lower()
    return any(recipient.lower() == address for recipient in (*message.to, *message.cc))


def require_customer(actor: Actor) -> int:
    if actor.contact_id is None:
        raise Forbidden("not_a_customer", "Only a customer token can use this")
    return actor.contact_id


def categories(uow: TicketsUnit, actor: Actor) -> list[str]:
    require_customer(actor)
    return [named.name for named in uow.taxonomy.list_named("category", actor.account_id)]


def list_tickets(
    uow: TicketsUnit, actor: Actor, *, start: int, results: int, open_or_unread: bool = False
) -> CustomerPage:
    """The contact's tickets, newest first (by id, which never changes), at an offset.

    `open_or_unread` keeps the open ones and those with an agent reply the customer has not
    read yet. Three statements whatever the page length: the page, its reply counts, the total.
    """
    contact_id = require_customer(actor)
    if not 0 <= start <= MAX_START:
        raise Invalid("invalid_range", f"start must be between 0 and {MAX_START}", field="start")
    if not 1 <= results <= MAX_RESULTS:
        raise Invalid(
            "invalid_range", f"results must be between 1 and {MAX_RESULTS}", field="results"
        )
    items = uow.listing.list_customer_tickets(
        actor.account_id, contact_id, open_or_unread=open_or_unread, offset=start, limit=results
    )
    total = uow.listing.count_customer_tickets(
        actor.account_id, contact_id, open_or_unread=open_or_unread
    )
    return CustomerPage(items, start, total)


def _summary(
    uow: TicketsUnit, actor: Actor, ticket: Ticket, replies: int | None = None
) -> CustomerTicket:
    category = (
        uow.taxonomy.get_named("category", actor.account_id, ticket.category_id)
        if ticket.category_id is not None
        else None
    )
    if replies is None:
        replies = uow.listing.customer_reply_counts([ticket.id]).get(ticket.id, 0)
    return CustomerTicket(ticket, category.name if category else None, replies)


def describe(uow: TicketsUnit, actor: Actor, ticket_id: int) -> CustomerTicket:
    return _summary(uow, actor, tickets.get_ticket(uow, actor, ticket_id))


def read_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int) -> CustomerThread:
    """The whole conversation; reading it stamps the ticket's client_last_read."""
    customer = _customer(uow, actor)
    ticket = tickets.mark_read_by_client(uow, actor, ticket_id)
    shown = [m for m in uow.tickets.list_messages(ticket.id) if shown_to(m, customer)]
    files = uow.attachments.attachments_of_messages([m.id for m in shown])
    replies = [Reply(m, m.agent_id is not None, tuple(files.get(m.id, ()))) for m in shown]
    count = sum(1 for m in shown if is_customer_reply(m))
    return CustomerThread(_summary(uow, actor, ticket, count), replies)


def find_attachment(
    uow: TicketsUnit, actor: Actor, ticket_id: int, attachment_id: int
) -> Attachment:
    """A file of one of the customer's tickets, named through that ticket, on a message
    the customer reads there (or not on a message yet): its row, for a route to stream."""
    customer = _customer(uow, actor)
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    record = attachments.get_attachment(uow, actor, attachment_id)
    carrier = [record.message_id] if record.message_id is not None else []
    carriers = uow.tickets.get_messages(actor.account_id, carrier)
    if record.ticket_id != ticket.id or not all(shown_to(m, customer) for m in carriers):
        raise NotFound("attachment_not_found", f"No attachment {attachment_id}")
    return record


def open_ticket(uow: TicketsUnit, actor: Actor, new: NewCustomerTicket) -> CustomerTicket:
    """A ticket requested by the token's contact. An emailTo address that is one of the
    account's inboxes puts the ticket in that inbox; else it goes to the account's first."""
    require_customer(actor)
    to = _addresses(new.to, "emailTo")
    cc = _addresses(new.cc, "emailCc")
    opened = tickets.open_ticket(
        uow,
        actor,
        NewTicket(
            subject=new.title,
            message=NewMessage(
                body_text=new.content, to=to, cc=cc, attachment_ids=new.attachment_ids
            ),
            inbox_id=_inbox_for(uow, actor, to),
            category_id=_named_id(uow, actor, "category", new.category),
            department_id=_named_id(uow, actor, "department", new.department),
        ),
    )
    return _summary(uow, actor, opened.ticket)


def check_contact_form(form: ContactForm) -> ContactForm:
    """The form trimmed, or Invalid naming the first field at fault (field names are the
    ContactForm's). Every bound the v3 spec prints for its contact form."""
    lines = (
        ("first_name", form.first_name, FIRST_NAME),
        ("last_name", form.last_name, LAST_NAME),
        ("company", form.company or "", COMPANY),
        ("email", form.email, EMAIL),
        ("title", form.title, FORM_TITLE),
    )
    trimmed = {field: _one_line(field, value, bounds) for field, value, bounds in lines}
    phone = form.phone.strip()
    if not PHONE[0] <= len(phone) <= PHONE[1] or not _PHONE.match(phone):
        raise Invalid(
            "invalid", f"A phone number is {PHONE[0]} to {PHONE[1]} digits", field="phone"
        )
    content = (form.content or "").strip()
    if len(content) > MAX_FORM_CONTENT or "\x00" in content:
        raise Invalid("invalid", "The message is too long", field="content")
    normalise_address(trimmed["email"], field="email")
    company = trimmed.pop("company") or None
    return replace(form, **trimmed, company=company, phone=phone, content=content or None)


def _one_line(field: str, value: str, bounds: tuple[int, int]) -> str:
    value = value.strip()
    low, high = bounds
    if not low <= len(value) <= high:
        raise Invalid("invalid", f"Between {low} and {high} characters", field=field)
    if _CONTROL.search(value):
        raise Invalid("invalid", "One line, without control characters", field=field)
    return value


def contact_form_choices(uow: TicketsUnit, account_id: int) -> tuple[list[str], list[str]]:
    """The account's category and department names, for a contact form to offer."""
    return (
        [named.name for named in uow.taxonomy.list_named("category", account_id)],
        [named.name for named in uow.taxonomy.list_named("department", account_id)],
    )


def submit_contact_form(
    uow: TicketsUnit, actor: Actor, form: ContactForm, files: FormFiles | None = None
) -> CustomerTicket:
    """Open a ticket for the contact the form names (found by address, or created).

    The actor only says which account the form belongs to; the ticket is the form's
    contact's, so a v3 token's own contact does not see it (unless it is the same person).
    Files (the portal's form) are uploaded as that contact, in this transaction.
    """
    form = check_contact_form(form)
    category_id = _named_id(uow, actor, "category", form.category)
    department_id = (
        _named_id(uow, actor, "department", form.department) if form.department else None
    )
    contact = find_or_create_contact(
        uow,
        actor,
        ContactFields(
            email=form.email,
            name=f"{form.first_name} {form.last_name}",
            phone=form.phone,
            company=form.company or None,
        ),
    )
    sender = Actor(
        account_id=actor.account_id, label=f"{actor.label}:contact-form", contact_id=contact.id
    )
    # The spec makes content optional; a message is never empty, so the title stands in.
    body = form.content if form.content and form.content.strip() else form.title
    opened = tickets.open_ticket(
        uow,
        sender,
        NewTicket(
            subject=form.title,
            message=NewMessage(body_text=body, attachment_ids=_form_uploads(uow, sender, files)),
            category_id=category_id,
            department_id=department_id,
            inbox_id=_inbox_for(uow, actor, ()),
        ),
    )
    return _summary(uow, sender, opened.ticket)


def _form_uploads(uow: TicketsUnit, sender: Actor, files: FormFiles | None) -> tuple[int, ...]:
    if files is None:
        return ()
    check_file_count(len(files.files))
    return tuple(
        attachments.upload_stored(uow, sender, item, files.limit).id for item in files.files
    )


def check_file_count(count: int) -> None:
    """Checked by the form's route too, before any file is stored."""
    if count > MAX_FORM_FILES:
        raise Invalid("too_many_files", f"At most {MAX_FORM_FILES} files", field="attachment")


def reply(
    uow: TicketsUnit, actor: Actor, ticket_id: int, content: str, attachment_ids: Sequence[int] = ()
) -> CustomerTicket:
    """The customer writes: the ticket awaits an agent again (refused when force-closed)."""
    require_customer(actor)
    tickets.add_message(
        uow, actor, ticket_id, NewMessage(body_text=content, attachment_ids=tuple(attachment_ids))
    )
    return describe(uow, actor, ticket_id)


def set_status(uow: TicketsUnit, actor: Actor, ticket_id: int, status: Status) -> Ticket:
    """The customer reopens or closes. Reopening an open ticket leaves it as it is; reopening
    one an agent force-closed is refused (core tickets.set_status)."""
    require_customer(actor)
    if status not in (Status.REPLY, Status.CLOSED):
        raise Invalid("invalid_status", f"A customer cannot set the status {status.value!r}")
    ticket = tickets.get_ticket(uow, actor, ticket_id)
    if status is not Status.CLOSED and ticket.is_open:
        return ticket
    return tickets.set_status(uow, actor, ticket.id, status)


def upload(uow: TicketsUnit, actor: Actor, item: StoredFile, limit: int) -> Attachment:
    """An upload not on any ticket yet (its bytes already streamed into the blob store);
    only this contact can attach it, see it or delete it."""
    require_customer(actor)
    return attachments.upload_stored(uow, actor, replace(item, ticket_id=None), limit)


def delete_upload(uow: TicketsUnit, actor: Actor, attachment_id: int) -> Attachment:
    require_customer(actor)
    return attachments.delete_uncoupled(uow, actor, attachment_id)


def _customer(uow: TicketsUnit, actor: Actor) -> Contact:
    contact_id = require_customer(actor)
    found = contacts.find_contact(uow, actor.account_id, contact_id)
    if found is None:  # a token outlives no contact: contacts are never deleted
        raise Forbidden("not_a_customer", "This token's contact is gone")
    return found


def _named_id(uow: TicketsUnit, actor: Actor, kind: str, name: str) -> int:
    found = uow.taxonomy.find_named(kind, actor.account_id, name.strip())
    if found is None:
        raise Invalid(f"unknown_{kind}", f"No {kind} named {name[:80]!r}", field=kind)
    return found.id


def _addresses(values: Sequence[str], field: str) -> tuple[str, ...]:
    if len(values) > MAX_ADDRESSES:
        raise Invalid("too_many_addresses", f"At most {MAX_ADDRESSES} addresses", field=field)
    return tuple(dict.fromkeys(normalise_address(value, field=field) for value in values))


def _inbox_for(uow: TicketsUnit, actor: Actor, to: Sequence[str]) -> int | None:
    """The inbox an emailTo address names, else the account's first (where the ticket's
    mail leaves from, and what ImBox lists as its inboxName)."""
    for address in to:
        inbox = accounts.inbox_with_address(uow, address)
        if inbox is not None and inbox.account_id == actor.account_id:
            return inbox.id
    first = accounts.default_inbox(uow, actor.account_id)
    return first.id if first is not None else None
