"""Deleting a ticket for good (the native API's DELETE), and which of its files may go.

A ticket's files are shared by content: the same bytes attached twice, in any ticket or
account, are one file. So deleting a ticket removes its attachment rows, and the caller
removes a file only once no row names it any more (`unused_files`), after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets._lookup import get_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Ticket

TICKET_DELETED = "ticket.deleted"


@dataclass(frozen=True, slots=True)
class Deleted:
    ticket: Ticket  # as it was just before
    stored_names: tuple[str, ...]  # the files its attachments named


def delete_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int) -> Deleted:
    """Delete the ticket, its messages, details and attachment rows; recorded in the log.

    The event keeps the ticket's id and number only: no subject or text, since a deletion
    is often asked for because of what the ticket says.
    """
    if actor.contact_id is not None:
        raise Forbidden("customer_token", "A customer token cannot delete tickets")
    ticket = get_ticket(uow, actor, ticket_id, lock=True)
    names = uow.tickets.delete_ticket(ticket.id)
    events.record(
        uow, actor, TICKET_DELETED, now_ms(), deleted_ticket_id=ticket.id, number=ticket.number
    )
    return Deleted(ticket, tuple(names))


def unused_files(uow: TicketsUnit, names: Sequence[str]) -> list[str]:
    """Those of `names` that no attachment or mail receipt names."""
    used = uow.attachments.names_in_use(names)
    return [name for name in names if name not in used]
