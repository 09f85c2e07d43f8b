"""Finding tickets the actor may see, and reading a whole thread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.core.shared.errors import Conflict, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import (
    Attachment,
    Message,
    Ticket,
    TicketDetails,
)


@dataclass(frozen=True)
class Thread:
    """A ticket with everything a detail view shows, loaded in a fixed number of queries."""

    ticket: Ticket
    details: TicketDetails
    messages: list[Message]
    attachments: Mapping[int, list[Attachment]]


def visible(ticket: Ticket | None, actor: Actor) -> bool:
    """A customer sees only their own tickets; everyone else, the whole account."""
    if ticket is None or ticket.account_id != actor.account_id:
        return False
    return actor.contact_id is None or ticket.requester_id == actor.contact_id


def get_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int, *, lock: bool = False) -> Ticket:
    ticket = uow.tickets.get_ticket(actor.account_id, ticket_id, lock=lock)
    if ticket is None or not visible(ticket, actor):
        raise NotFound("ticket_not_found", f"No ticket {ticket_id}")
    return ticket


def get_ticket_by_uuid(uow: TicketsUnit, actor: Actor, ticket_uuid: str) -> Ticket:
    ticket = uow.tickets.get_ticket_by_uuid(actor.account_id, ticket_uuid)
    if ticket is None or not visible(ticket, actor):
        raise NotFound("ticket_not_found", f"No ticket {ticket_uuid[:40]}")
    return ticket


def details_of(uow: TicketsUnit, ticket: Ticket) -> TicketDetails:
    """One ticket's labels, tags, assignees, links and custom fields."""
    return uow.tickets.ticket_details([ticket.id])[ticket.id]


def load_thread(uow: TicketsUnit, actor: Actor, ticket_id: int) -> Thread:
    ticket = get_ticket(uow, actor, ticket_id)
    messages = uow.tickets.list_messages(ticket.id)
    return Thread(
        ticket=ticket,
        details=details_of(uow, ticket),
        messages=messages,
        attachments=uow.attachments.attachments_of_messages([message.id for message in messages]),
    )


def live_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int, *, lock: bool = True) -> Ticket:
    """A ticket about to change, locked until the transaction ends: merged tickets are frozen.

    Every read-modify-write of a ticket starts here (or locks through get_ticket), so two
    writers to one ticket take turns on PostgreSQL (`SELECT ... FOR UPDATE`) as they do on
    SQLite (BEGIN IMMEDIATE): the second sees what the first wrote, instead of both
    starting from the same state and one of them being lost or clashing.
    """
    ticket = get_ticket(uow, actor, ticket_id, lock=lock)
    if ticket.merged_into_id is not None:
        raise Conflict(
            "ticket_merged", f"Ticket {ticket.id} was merged into {ticket.merged_into_id}"
        )
    return ticket
