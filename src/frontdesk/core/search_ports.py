"""What the core asks storage for when it filters, searches and counts an account's tickets.

Kept apart from core/ports.py (like core/mail_ports.py) so that core/search.py can build
on the Repo port without an import cycle; `Repo` includes `SearchQueries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from frontdesk.core.models import (
    Attachment,
    Contact,
    Message,
    Priority,
    Status,
    Ticket,
    TicketDetails,
)


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


UNASSIGNED = 0  # no agent has this id: ids start at 1


class SearchQueries(Protocol):
    """Implemented by storage/search_queries.py; newest ticket first, then by id."""

    def find_tickets(
        self, account_id: int, query: TicketQuery, *, offset: int, limit: int
    ) -> list[Ticket]: ...

    def count_found_tickets(
        self, account_id: int, query: TicketQuery, *, up_to: int | None = None
    ) -> int: ...

    def tags_and_assignees(self, ticket_ids: Sequence[int]) -> dict[int, TicketDetails]:
        """Details with only tags and assignee ids filled: what a list shows."""
        ...

    def requesters_of(self, account_id: int, contact_ids: Sequence[int]) -> dict[int, Contact]: ...

    def messages_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Message]: ...

    def attachments_by_uuid(self, account_id: int, uuids: Sequence[str]) -> list[Attachment]: ...
