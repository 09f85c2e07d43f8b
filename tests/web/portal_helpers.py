"""A portal to test: an account with an inbox, an agent, a category and a department,
customers with tickets, and a client that signs in through a mailed link."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from frontdesk.core import tickets
from frontdesk.core.tickets import NewMessage, NewTicket, taxonomy
from frontdesk.core.tickets.records import MessageKind, Ticket
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.web.helpers import Desk, csrf_of

LINK = re.compile(r"https?://[^/\s]+(/portal/[A-Za-z0-9]+/signin/[0-9a-f]{16}\.[A-Za-z0-9_-]{43})")


@dataclass
class Portal:
    desk: Desk

    @property
    def base(self) -> str:
        return f"/portal/{self.desk.tenant.account.public_id}"

    @property
    def services(self) -> Services:
        return self.desk.services

    def ticket_for(self, email: str, subject: str = "Invoice is wrong") -> Ticket:
        """A ticket the customer opened by mail, with an agent's answer and an internal note."""
        tenant = self.desk.tenant
        with self.services.store.write() as uow:
            opened = tickets.open_ticket(
                uow,
                tenant.actor,
                NewTicket(
                    subject=subject,
                    message=NewMessage(body_text="The total is twice what it should be."),
                    requester_email=email,
                    requester_name="Cora Customer",
                    inbox_id=self.desk.inbox.id,
                ),
            )
            ticket = opened.ticket
            tickets.add_message(
                uow, tenant.actor, ticket.id,
                NewMessage(body_text="Sorry! We refunded the difference.",
                           agent_id=self.desk.agent.id, from_name="Alva Lindqvist"),
            )  # fmt: skip
            tickets.add_message(
                uow, tenant.actor, ticket.id,
                NewMessage(body_text="SECRET NOTE: customer was rude on the phone",
                           kind=MessageKind.INTERNAL, agent_id=self.desk.agent.id),
            )  # fmt: skip
        return ticket

    def links_to(self, email: str) -> list[str]:
        """The portal links mailed to the address (from the outbox, newest last)."""
        with self.services.store.engine.connect() as conn:
            bodies = conn.execute(
                select(t.outbox.c.body)
                .where(t.outbox.c.to_addr == email, t.outbox.c.kind == "portal_link")
                .order_by(t.outbox.c.id)
            ).scalars()
            return [found.group(1) for body in bodies if (found := LINK.search(body))]


def setup_portal(desk: Desk) -> Portal:
    with desk.services.store.write() as uow:
        taxonomy.create_named(uow, desk.tenant.actor, "category", "Billing")
        taxonomy.create_named(uow, desk.tenant.actor, "category", "Technical")
        taxonomy.create_named(uow, desk.tenant.actor, "department", "Sales")
    return Portal(desk)


def client_at(app: FastAPI, ip: str | None = None) -> TestClient:
    """A client of its own address: the portal's limits count per client IP."""
    octets = (random.randrange(256), random.randrange(256), random.randrange(1, 255))
    address = ip or "10.{}.{}.{}".format(*octets)
    return TestClient(app, client=(address, 50000))


def ask_for_link(client: TestClient, portal: Portal, email: str) -> Any:
    page = client.get(portal.base + "/signin")
    return client.post(
        portal.base + "/signin", data={"email": email, "csrf_token": csrf_of(page.text)}
    )


def sign_in(app: FastAPI, portal: Portal, email: str) -> TestClient:
    """A client signed in to the portal as the contact with this address, through a link."""
    client = client_at(app)
    assert ask_for_link(client, portal, email).status_code == 200
    link = portal.links_to(email)[-1]
    page = client.get(link)
    answer = client.post(link, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client
