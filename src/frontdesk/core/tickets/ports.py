"""What the tickets area needs from storage: tickets with their messages, attachments, the
account's ticket taxonomy, and the list, search and portal reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from frontdesk.core.contacts.records import Contact
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.shared.paging import Window
from frontdesk.core.tickets.records import (
    Attachment,
    CannedResponse,
    CustomerTicket,
    CustomField,
    Draft,
    EmailCursor,
    FieldType,
    LabelUse,
    ListedEmail,
    ListedTicket,
    Message,
    Named,
    QueueEntry,
    Sort,
    Ticket,
    TicketDetails,
    TicketFilter,
    TicketQuery,
)


class TicketRepo(Protocol):
    """Tickets, their many-valued details and their messages."""

    def insert_ticket(self, values: Mapping[str, Any]) -> Ticket: ...

    def update_ticket(self, ticket_id: int, changes: Mapping[str, Any]) -> Ticket: ...

    def get_ticket(
        self, account_id: int, ticket_id: int, *, lock: bool = False
    ) -> Ticket | None: ...

    def get_ticket_by_uuid(self, account_id: int, uuid: str) -> Ticket | None: ...

    def get_tickets(self, account_id: int, ticket_ids: Sequence[int]) -> dict[int, Ticket]: ...

    def find_open_ticket(
        self, account_id: int, requester_id: int, inbox_id: int | None
    ) -> Ticket | None: ...

    def next_ticket_number(self, account_id: int) -> int: ...

    def count_tickets(self, account_id: int) -> int: ...

    def ticket_details(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]: ...

    def tags_and_assignees(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
        """What a list shows of each ticket's details (cheaper than all of them)."""
        ...

    def replace_values(
        self, what: str, ticket_id: int, values: Sequence[Any], *, fresh: bool = False
    ) -> None:
        """`fresh`: the ticket was made in this transaction, so there is nothing to clear."""

    def add_link(self, ticket_id: int, linked_id: int) -> None: ...

    def set_field_values(self, ticket_id: int, values: Mapping[int, str | None]) -> None: ...

    def insert_message(self, values: Mapping[str, Any]) -> Message: ...

    def list_messages(self, ticket_id: int) -> list[Message]: ...

    def count_messages(self, ticket_id: int) -> int: ...

    def get_messages(self, account_id: int, message_ids: Sequence[int]) -> list[Message]: ...

    def messages_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Message]: ...

    def move_messages(
        self,
        message_ids: Sequence[int],
        to_ticket_id: int,
        *,
        audience_contact_id: int | None = None,
    ) -> int:
        """Move messages (and their files); `audience_contact_id` becomes the audience of
        those that had none (they were written to their old ticket's requester)."""
        ...

    def message_ids_of(self, ticket_id: int) -> list[int]: ...

    def delete_ticket(self, ticket_id: int) -> list[str]:
        """Delete the ticket with its messages, details and files' rows; the stored names
        of the files those rows named (other rows may still name some of them)."""
        ...


class AttachmentRepo(Protocol):
    def insert_attachment(self, values: Mapping[str, Any]) -> Attachment: ...

    def get_attachment(self, account_id: int, attachment_id: int) -> Attachment | None: ...

    def get_attachments(
        self, account_id: int, attachment_ids: Sequence[int]
    ) -> list[Attachment]: ...

    def attachments_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Attachment]: ...

    def couple_attachments(
        self, attachment_ids: Sequence[int], ticket_id: int, message_id: int
    ) -> None: ...

    def attachments_of_messages(
        self, message_ids: Sequence[int]
    ) -> dict[int, list[Attachment]]: ...

    def delete_attachment(self, attachment_id: int) -> None: ...

    def blob_in_use(self, sha256: str) -> bool: ...

    def names_in_use(self, names: Sequence[str]) -> set[str]:
        """Which of these stored file names an attachment or a mail receipt names."""
        ...


class TaxonomyRepo(Protocol):
    """Categories, departments and custom field definitions: names within an account."""

    def insert_named(self, kind: str, account_id: int, name: str, now: int) -> Named | None:
        """None when the account has that name already (perhaps just now, concurrently)."""
        ...

    def list_named(self, kind: str, account_id: int) -> list[Named]: ...

    def get_named(self, kind: str, account_id: int, row_id: int) -> Named | None: ...

    def find_named(self, kind: str, account_id: int, name: str) -> Named | None: ...

    def named_in_use(self, kind: str, row_id: int) -> bool: ...

    def delete_named(self, kind: str, row_id: int) -> None: ...

    def rename_named(self, kind: str, row_id: int, name: str) -> None:
        """Conflict if another row of the account has the name (a concurrent writer)."""
        ...

    def list_fields(self, account_id: int) -> list[CustomField]: ...

    def get_field(self, account_id: int, row_id: int, *, lock: bool = False) -> CustomField | None:
        """`lock`: for a change of the definition (FOR UPDATE on PostgreSQL)."""
        ...

    def find_field(self, account_id: int, name: str, *, lock: bool = False) -> CustomField | None:
        """By name, whatever its case. `lock`: a shared lock while a value is checked
        against the definition and written, so that a concurrent change of the type or
        options waits for the value, or the value for the change."""
        ...

    def insert_field(
        self, account_id: int, name: str, field_type: FieldType, options: Sequence[str], now: int
    ) -> CustomField | None:
        """None when the account has a field of that name already."""
        ...

    def change_field(
        self,
        row_id: int,
        field_type: FieldType,
        options: Sequence[str],
        rewrites: Mapping[str, str],
        now: int,
    ) -> None:
        """Set a field's type and options, and rewrite its stored values (old -> new) into
        the new type's normal form; the tickets holding a rewritten value move (`updated`,
        version)."""
        ...

    def field_values(self, field_id: int) -> list[str]:
        """The distinct values tickets hold in this field."""
        ...

    def label_uses(self, account_id: int) -> list[LabelUse]:
        """The account's labels by name, each with the number of tickets carrying it."""
        ...

    def has_label(self, account_id: int, name: str) -> bool: ...

    def add_label(self, account_id: int, name: str) -> None: ...

    def rename_label(self, account_id: int, name: str, new_name: str, now: int) -> int:
        """Every ticket of the account carrying `name` carries `new_name` instead (their
        `updated` and version move); the account's label list follows. The tickets' count."""
        ...

    def remove_label(self, account_id: int, name: str, now: int) -> int:
        """Take the label off every ticket of the account and off its list; the count."""
        ...


class TicketListing(Protocol):
    """Pages of tickets and e-mails: keyset lists, full-text search, a customer's tickets."""

    def list_tickets(
        self, account_id: int, filters: TicketFilter, *, after_id: int, limit: int
    ) -> list[ListedTicket]: ...

    def list_emails(
        self, account_id: int, window: Window, *, after: EmailCursor | None, limit: int
    ) -> list[ListedEmail]: ...

    def find_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int
    ) -> list[Ticket]: ...

    def find_counted_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int, up_to: int
    ) -> tuple[list[Ticket], int | None]:
        """A page as `find_tickets`, and how many match up to `up_to` where the backend
        reads that with the page (else None: ask `count_found_tickets`)."""
        ...

    def count_found_tickets(
        self, account_id: int, query: TicketQuery, *, up_to: int | None = None
    ) -> int: ...

    def requesters_of(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]: ...

    def list_customer_tickets(
        self, account_id: int, requester_id: int, *, open_or_unread: bool, offset: int, limit: int
    ) -> list[CustomerTicket]: ...

    def count_customer_tickets(
        self, account_id: int, requester_id: int, *, open_or_unread: bool
    ) -> int: ...

    def customer_reply_counts(self, ticket_ids: Sequence[int]) -> dict[int, int]: ...

    def page_tickets(
        self,
        account_id: int,
        query: TicketQuery,
        sort: Sort,
        *,
        after: tuple[int, ...] | None,
        before: tuple[int, ...] | None,
        limit: int,
        agent_id: int | None,
    ) -> list[QueueEntry]:
        """A keyset page in `sort` order (descending): the rows after `after`, or the
        rows just before `before` (still in descending order), with the inbox's name,
        the requester and `agent_id`'s read mark of each."""
        ...

    def account_labels(self, account_id: int) -> list[str]: ...

    def latest_of_requester(self, account_id: int, requester_id: int, limit: int) -> list[Ticket]:
        """A requester's newest unmerged tickets (by id), for a ticket's side panel."""
        ...

    def inbox_names(self, account_id: int) -> dict[int, str]: ...

    def view_names(self, account_id: int) -> tuple[dict[int, str], list[str]]:
        """inbox_names and account_labels in one read."""
        ...


class ReadMarks(Protocol):
    """When each agent last read each ticket."""

    def read_times(self, agent_id: int, ticket_ids: Sequence[int]) -> dict[int, int]: ...

    def mark_read(self, agent_id: int, ticket_id: int, at: int) -> None: ...


class DraftRepo(Protocol):
    def put_draft(self, account_id: int, draft: Draft) -> None: ...

    def drafts_of(self, agent_id: int, ticket_id: int) -> list[Draft]: ...

    def delete_draft(self, agent_id: int, ticket_id: int, kind: str) -> bool: ...


class CannedRepo(Protocol):
    """The account's canned responses."""

    def insert_canned(self, values: Mapping[str, Any]) -> CannedResponse: ...

    def get_canned(self, account_id: int, canned_id: int) -> CannedResponse | None: ...

    def update_canned(self, canned_id: int, changes: Mapping[str, Any]) -> CannedResponse: ...

    def delete_canned(self, canned_id: int) -> None: ...

    def list_canned(self, account_id: int, search: str, *, limit: int) -> list[CannedResponse]:
        """By shortcut; `search` (lower case) narrows to shortcuts or bodies containing it."""
        ...


class TicketsUnit(IdentityUnit, Protocol):
    @property
    def tickets(self) -> TicketRepo: ...

    @property
    def attachments(self) -> AttachmentRepo: ...

    @property
    def taxonomy(self) -> TaxonomyRepo: ...

    @property
    def listing(self) -> TicketListing: ...

    @property
    def reads(self) -> ReadMarks: ...

    @property
    def drafts(self) -> DraftRepo: ...

    @property
    def canned(self) -> CannedRepo: ...
