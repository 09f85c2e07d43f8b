"""Ticket details come from one UNION ALL (storage/hot_queries.py): same rows, same order."""

from __future__ import annotations

from dataclasses import replace

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Role
from frontdesk.core.tickets import NewMessage, NewTicket, taxonomy
from frontdesk.services import Services
from tests.conftest import Tenant


def _open(services: Services, tenant: Tenant, new: NewTicket) -> int:
    with services.store.write() as uow:
        return tickets.open_ticket(uow, tenant.actor, new).ticket.id


def _new(tenant: Tenant, subject: str) -> NewTicket:
    return NewTicket(
        subject=subject,
        message=NewMessage(body_text="Hello"),
        requester_email=tenant.address("customer"),
    )


def test_every_kind_of_detail_in_its_own_order(services: Services, tenant: Tenant) -> None:
    with services.store.write() as uow:
        agents = [
            accounts.create_agent(
                uow,
                tenant.actor,
                AgentFields(name=f"Agent {i}", email=tenant.address(f"a{i}"), role=Role.AGENT),
            ).id
            for i in range(3)
        ]
        for name in ("Zone", "Account", "Model"):
            taxonomy.create_named(uow, tenant.actor, "custom_field", name)
    detailed = replace(
        _new(tenant, "Detailed"),
        labels=("vip", "bug", "refund"),
        tags=("web", "api"),
        assignee_ids=(agents[2], agents[0]),
        custom_fields={"Zone": "eu", "Account": "A-1", "Model": "x"},
    )
    first = _open(services, tenant, detailed)
    second = _open(services, tenant, replace(_new(tenant, "Labels only"), labels=("urgent",)))
    bare = _open(services, tenant, _new(tenant, "Nothing"))
    with services.store.write() as uow:
        uow.tickets.add_link(first, second)
        uow.tickets.add_link(first, bare)

    with services.store.read() as uow:
        found = uow.tickets.ticket_details([first, second, bare, 2_000_000_000])

    assert list(found) == [first, second, bare, 2_000_000_000]
    details = found[first]
    assert details.labels == ("bug", "refund", "vip")
    assert details.tags == ("api", "web")
    assert details.assignee_ids == tuple(sorted((agents[2], agents[0])))
    assert details.linked_ids == (second, bare)
    assert details.custom_fields == (("Account", "A-1"), ("Model", "x"), ("Zone", "eu"))
    assert found[second].labels == ("urgent",)
    assert found[second].tags == () and found[second].custom_fields == ()
    for empty in (found[bare], found[2_000_000_000]):
        assert (empty.labels, empty.tags, empty.assignee_ids, empty.linked_ids) == ((),) * 4
        assert empty.custom_fields == ()


def test_no_ids_no_query(services: Services) -> None:
    with services.store.read() as uow:
        assert uow.tickets.ticket_details([]) == {}
