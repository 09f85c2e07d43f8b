"""Small builders for core tests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Role
from frontdesk.core.tickets import NewMessage, NewTicket
from frontdesk.core.tickets.records import Ticket
from frontdesk.storage import tables as t
from tests.conftest import Tenant


def open_ticket(
    tenant: Tenant, subject: str = "Help", body: str = "Hello", **extra: object
) -> Ticket:
    with tenant.services.store.write() as uow:
        new = NewTicket(
            subject=subject,
            message=NewMessage(body_text=body),
            requester_email=extra.pop("requester_email", tenant.address("customer")),  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )
        return tickets.open_ticket(uow, tenant.actor, new).ticket


def open_many(tenant: Tenant, count: int) -> list[Ticket]:
    """`count` bare tickets in one transaction, oldest first (for limits and paging)."""
    with tenant.services.store.write() as uow:
        return [
            tickets.open_ticket(
                uow, tenant.actor, NewTicket(subject=f"T{i}", message=NewMessage("Hi"))
            ).ticket
            for i in range(count)
        ]


def add_agent(
    tenant: Tenant,
    name: str = "Agent",
    email: str | None = None,
    *,
    password: str | None = None,
    role: Role | None = None,
) -> Agent:
    fields = AgentFields(
        name=name, email=email or tenant.address(name.lower()), password=password, role=role
    )
    with tenant.services.store.write() as uow:
        return accounts.create_agent(uow, tenant.actor, fields)


def reply(tenant: Tenant, ticket_id: int, text: str, *, agent_id: int | None = None) -> int:
    with tenant.services.store.write() as uow:
        return tickets.add_message(
            uow, tenant.actor, ticket_id, NewMessage(body_text=text, agent_id=agent_id)
        ).id


def message_ids(tenant: Tenant, ticket_id: int) -> list[int]:
    with tenant.services.store.read() as uow:
        return [m.id for m in uow.tickets.list_messages(ticket_id)]


def status_changes(tenant: Tenant, ticket_id: int) -> list[tuple[object, object]]:
    """The ticket's `ticket.status_changed` events as (before, after), oldest first."""
    with tenant.services.store.read() as uow:
        return [
            (data["before"], data["after"])
            for kind, _actor, data in uow.events.list_events(tenant.id, ticket_id)
            if kind == "ticket.status_changed"
        ]


def ticket_id_of(tenant: Tenant, uuid: str) -> int:
    """The ticket's integer id from the UUID a dialect (InboxOps) names it by."""
    with tenant.services.store.read() as uow:
        ticket = uow.tickets.get_ticket_by_uuid(tenant.id, uuid)
    assert ticket is not None
    return ticket.id


def recorded(tenant: Tenant, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The account's events of one kind as (actor label, data), oldest first."""
    with tenant.services.store.read() as uow:
        rows = uow.conn.execute(
            select(t.events.c.actor, t.events.c.data)
            .where(t.events.c.account_id == tenant.id, t.events.c.kind == kind)
            .order_by(t.events.c.id)
        ).all()
    return [(row.actor, json.loads(row.data)) for row in rows]
