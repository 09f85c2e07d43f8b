"""Small builders for core tests."""

from __future__ import annotations

from frontdesk.core import accounts, tickets
from frontdesk.core.accounts import AgentFields
from frontdesk.core.models import Agent, Ticket
from frontdesk.core.tickets import NewMessage, NewTicket
from tests.conftest import Tenant


def open_ticket(
    tenant: Tenant, subject: str = "Help", body: str = "Hello", **extra: object
) -> Ticket:
    with tenant.services.store.write() as repo:
        new = NewTicket(
            subject=subject,
            message=NewMessage(body_text=body),
            requester_email=extra.pop("requester_email", tenant.address("customer")),  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )
        return tickets.open_ticket(repo, tenant.actor, new).ticket


def open_many(tenant: Tenant, count: int) -> list[Ticket]:
    """`count` bare tickets in one transaction, oldest first (for limits and paging)."""
    with tenant.services.store.write() as repo:
        return [
            tickets.open_ticket(
                repo, tenant.actor, NewTicket(subject=f"T{i}", message=NewMessage("Hi"))
            ).ticket
            for i in range(count)
        ]


def add_agent(tenant: Tenant, name: str = "Agent", email: str | None = None) -> Agent:
    with tenant.services.store.write() as repo:
        return accounts.create_agent(
            repo, tenant.actor, AgentFields(name=name, email=email or tenant.address(name.lower()))
        )


def reply(tenant: Tenant, ticket_id: int, text: str, *, agent_id: int | None = None) -> int:
    with tenant.services.store.write() as repo:
        return tickets.add_message(
            repo, tenant.actor, ticket_id, NewMessage(body_text=text, agent_id=agent_id)
        ).id


def message_ids(tenant: Tenant, ticket_id: int) -> list[int]:
    with tenant.services.store.read() as repo:
        return [m.id for m in repo.list_messages(ticket_id)]
