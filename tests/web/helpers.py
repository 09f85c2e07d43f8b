"""Agents who sign in, tickets for them to work on, and the CSRF token of a page."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent, Inbox, Role
from frontdesk.core.tickets import NewMessage, NewTicket, open_ticket
from frontdesk.core.tickets.records import Ticket
from frontdesk.services import Services
from tests.conftest import Tenant

PASSWORD = "correct horse battery"
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Desk:
    """An account with an inbox and two agents who can sign in."""

    tenant: Tenant
    inbox: Inbox
    agent: Agent
    colleague: Agent

    @property
    def services(self) -> Services:
        return self.tenant.services

    def ticket(
        self, subject: str = "Printer on fire", body: str = "Help, it burns.", **extra: object
    ) -> Ticket:
        with self.services.store.write() as uow:
            opened = open_ticket(
                uow,
                self.tenant.actor,
                NewTicket(
                    subject=subject,
                    # `cc`: colleagues the customer copied (the reply box copies them too)
                    message=NewMessage(body_text=body, cc=tuple(extra.pop("cc", ()))),  # type: ignore[arg-type]
                    requester_email=extra.pop("requester", None) or self.tenant.address("customer"),  # type: ignore[arg-type]
                    requester_name="Cora Customer",
                    inbox_id=self.inbox.id,
                    **extra,  # type: ignore[arg-type]
                ),
            )
        return opened.ticket


def make_desk(services: Services, tenant: Tenant) -> Desk:
    with services.store.write() as uow:
        inbox = accounts.create_inbox(uow, tenant.actor, "Support", tenant.address("support"))
        agent = accounts.create_agent(
            uow, tenant.actor,
            AgentFields(name="Alva Lindqvist", email=tenant.address("alva"), password=PASSWORD),
        )  # fmt: skip
        colleague = accounts.create_agent(
            uow, tenant.actor,
            AgentFields(name="Jonas Berg", email=tenant.address("jonas"), password=PASSWORD),
        )  # fmt: skip
    return Desk(tenant, inbox, agent, colleague)


def make_owner(desk: Desk) -> Agent:
    """The account's owner, who can sign in too."""
    with desk.services.store.write() as uow:
        return accounts.create_agent(
            uow, desk.tenant.actor,
            AgentFields(name="Olga Owner", email=desk.tenant.address("olga"), password=PASSWORD,
                        role=Role.OWNER),
        )  # fmt: skip


def csrf_of(html: str) -> str:
    found = _META.search(html) or _FIELD.search(html)
    assert found and found.group(1), "the page carries no CSRF token"
    return found.group(1)


def signed_in(app: FastAPI, email: str, password: str = PASSWORD) -> TestClient:
    """A client of its own (its own cookies) that signed in through the form."""
    client = TestClient(app, base_url="http://testserver")
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]
    return client


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"
