"""Routing: the pure rule, then offers on a real unit of work on both databases."""

from __future__ import annotations

import pytest

from frontdesk.core import chat
from frontdesk.core.chat import presence, routing
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.chat.routing import Candidate
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.services import Services
from tests.conftest import Tenant

A, B, C = Candidate(1, 0), Candidate(2, 0), Candidate(3, 2)


def test_least_busy_first_round_robin_among_them_then_the_rest() -> None:
    assert [c.agent_id for c in routing.order(0, [C, B, A])] == [1, 2, 3]
    assert [c.agent_id for c in routing.order(1, [C, B, A])] == [2, 1, 3]
    assert [c.agent_id for c in routing.order(2, [C, B, A])] == [1, 2, 3]
    assert routing.order(5, []) == []


def test_the_offer_passes_on_after_the_offer_time_and_wraps() -> None:
    line = [A, B, C]  # chat 0: 1, 2, then 3
    started = 1_000_000
    at = [routing.offer(0, started, line, 30, started + ms) for ms in (0, 29_999, 30_000,
          60_000, 90_000)]  # fmt: skip
    assert [o.agent_id for o in at if o] == [1, 1, 2, 3, 1]
    assert at[0] is not None and at[0].until == started + 30_000
    assert at[2] is not None and at[2].until == started + 60_000
    assert routing.offer(0, started, [], 30, started) is None


def _online(services: Services, tenant: Tenant, name: str) -> Agent:
    with services.store.write() as uow:
        agent = accounts.create_agent(
            uow, tenant.actor, AgentFields(name=name, email=tenant.address(name.lower()))
        )
        presence.heartbeat(uow, agent_actor(agent), agent.id, f"tab-{name}-0001", True)
    return agent


def _waiting(services: Services, tenant: Tenant) -> str:
    with services.store.write() as uow:
        opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), None)
        public_id = opened.conversation.public_id
        chat.post_visitor_message(uow, chat.visitor_actor(opened.conversation), public_id, "hi")
    return public_id


def _offers(services: Services, tenant: Tenant) -> dict[str, int]:
    with services.store.read() as uow:
        waiting = chat.list_chats(uow, tenant.actor, [chat.records.ChatStatus.WAITING])
        return {k: o.agent_id for k, o in routing.offers(uow, tenant.actor, waiting).items()}


def test_offers_go_to_online_agents_with_room_spread_round_robin(
    services: Services, tenant: Tenant
) -> None:
    ada, bo = _online(services, tenant, "Ada"), _online(services, tenant, "Bo")
    with services.store.write() as uow:  # Cy is an agent with no console open: offline
        accounts.create_agent(uow, tenant.actor, AgentFields(name="Cy", email=tenant.address("cy")))
    chats = [_waiting(services, tenant) for _ in range(4)]
    offered = _offers(services, tenant)
    assert set(offered) == set(chats)
    assert sorted(offered.values()) == sorted([ada.id, ada.id, bo.id, bo.id])  # spread evenly
    # Bo takes a chat: now the least busy is Ada alone, who is offered every waiting chat.
    with services.store.write() as uow:
        chat.join(uow, tenant.actor, chats[0], bo.id)
    assert set(_offers(services, tenant).values()) == {ada.id}
    # Ada at her limit (1, after joining one): the rest go to Bo; away agents get none.
    with services.store.write() as uow:
        presence.set_limit(uow, tenant.actor, ada.id, 1)
        chat.join(uow, tenant.actor, chats[1], ada.id)
    assert set(_offers(services, tenant).values()) == {bo.id}
    with services.store.write() as uow:
        presence.choose(uow, agent_actor(bo), bo.id, "away")
    assert _offers(services, tenant) == {}


def test_the_offer_time_is_the_accounts_and_only_admins_set_it(
    services: Services, tenant: Tenant
) -> None:
    ada = _online(services, tenant, "Ada")
    with services.store.read() as uow:
        assert routing.offer_seconds(uow, tenant.actor) == 30  # the default, written out
    with services.store.write() as uow:
        assert routing.set_offer_seconds(uow, tenant.actor, 10) == 10
        for bad in (4, 601):
            with pytest.raises(Invalid):
                routing.set_offer_seconds(uow, tenant.actor, bad)
        with pytest.raises(Forbidden):
            routing.set_offer_seconds(uow, agent_actor(ada), 20)
    with services.store.read() as uow:
        assert routing.offer_seconds(uow, tenant.actor) == 10
