"""The statements the two pages agents load all day cost: a guard on round trips.

On PostgreSQL every statement, every connection taken from the pool (its liveness ping)
and every BEGIN / COMMIT is a round trip to the server; docs/benchmarks.md (issue 13)
measured them as most of what PostgreSQL added to a page. The counts below are what the
pages need today; a change that adds a statement to every page view should be a choice,
made here, not an accident. They also hold whatever the page shows: a fixed number of
statements for 3 tickets or 30, for 1 message or 11 (no N+1).
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.core import tickets
from frontdesk.core.tickets import NewMessage
from frontdesk.services import Services
from tests.conftest import Tenant
from tests.statements import Cost, counted
from tests.web.helpers import Desk, make_desk, signed_in

# session with its agent, the team, inbox names with labels, the page, its rows' details
QUEUE_STATEMENTS = 5
# session with its agent; the ticket, messages, details, attachments, requester, their
# other tickets, outgoing mail, read mark, inboxes, field names; team, labels; drafts;
# reply-all's Cc prefill (issue 16): the customer's last addresses and their contacts'
# names (two reads the page could take from the messages it already has: a follow-up);
# the satisfaction survey with the requester's latest chat rating (issue 19, one read)
# the account's macros for the side panel (issue 19)
# the SLA clocks of the side panel (issue 19, one primary-key read)
TICKET_STATEMENTS = 17


@pytest.fixture
def desk(services: Services, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def _viewed(client: TestClient, services: Services, path: str) -> Cost:
    """A page's cost the second time it is asked for: the first stamps what it must
    (the read mark of an unread ticket), the second is what an agent's day repeats."""
    assert client.get(path).status_code == 200
    with counted(services) as cost:
        answer = client.get(path)
    assert answer.status_code == 200
    return cost


def _grow(desk: Desk, count: int) -> None:
    for index in range(count):
        made = desk.ticket(f"Grown {index}")
        with desk.services.store.write() as uow:
            tickets.set_labels(uow, desk.tenant.actor, made.id, [f"label-{index % 3}"])


def test_the_queue_is_one_connection_and_a_fixed_number_of_reads(
    web_app: FastAPI, desk: Desk
) -> None:
    _grow(desk, 3)
    client = signed_in(web_app, desk.agent.email)
    small = _viewed(client, desk.services, "/tickets?view=open")
    _grow(desk, 27)
    large = _viewed(client, desk.services, "/tickets?view=open")
    assert (small.selects, large.selects) == (QUEUE_STATEMENTS, QUEUE_STATEMENTS)
    assert large.writes == [] and large.checkouts == 1


def test_the_ticket_page_is_one_connection_and_a_fixed_number_of_reads(
    web_app: FastAPI, desk: Desk
) -> None:
    ticket = desk.ticket("Ten messages", "First.")
    client = signed_in(web_app, desk.agent.email)
    path = f"/tickets/{ticket.id}"
    short = _viewed(client, desk.services, path)
    with desk.services.store.write() as uow:
        for turn in range(10):
            agent_id = desk.agent.id if turn % 2 else None
            new = NewMessage(body_text=f"Turn {turn}", agent_id=agent_id)
            tickets.add_message(uow, desk.tenant.actor, ticket.id, new)
    long = _viewed(client, desk.services, path)
    assert (short.selects, long.selects) == (TICKET_STATEMENTS, TICKET_STATEMENTS)
    assert long.writes == [] and long.checkouts == 1
