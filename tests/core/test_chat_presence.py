"""Agents' chat status and chat limits on a real unit of work, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from frontdesk.core import chat
from frontdesk.core.chat import presence
from frontdesk.core.chat.records import AgentChatStatus, Availability, ChatStatus, VisitorInfo
from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import Agent
from frontdesk.core.identity.sessions import agent_actor
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant

ON, AWAY, OFF = Availability.ONLINE, Availability.AWAY, Availability.OFFLINE
TAB = "tab-0001"


@pytest.mark.parametrize(
    ("chosen", "live", "active", "seen"),
    [
        (ON, 1, 1, ON),
        (ON, 2, 1, ON),
        (ON, 1, 0, AWAY),  # the tab is open, unused for a while
        (AWAY, 1, 1, AWAY),
        (ON, 0, 0, OFF),  # the last tab closed
        (AWAY, 0, 0, OFF),
        (OFF, 1, 1, OFF),
    ],
)
def test_what_the_team_sees(
    chosen: Availability, live: int, active: int, seen: Availability
) -> None:
    assert presence.shown(AgentChatStatus(1, chosen, None, live, active)) is seen


def _agent(services: Services, tenant: Tenant, name: str) -> Agent:
    with services.store.write() as uow:
        return accounts.create_agent(
            uow, tenant.actor, AgentFields(name=name, email=tenant.address(name.lower()))
        )


def _shown(services: Services, tenant: Tenant, agent: Agent) -> Availability:
    with services.store.read() as uow:
        return next(s.shown for s in presence.team(uow, tenant.actor) if s.agent.id == agent.id)


def test_status_follows_the_choice_and_the_tabs(services: Services, tenant: Tenant) -> None:
    ada = _agent(services, tenant, "Ada")
    me = agent_actor(ada)
    assert _shown(services, tenant, ada) is OFF  # no tab yet
    with services.store.write() as uow:
        presence.heartbeat(uow, me, ada.id, TAB, True)
    assert _shown(services, tenant, ada) is ON
    with services.store.write() as uow:
        presence.heartbeat(uow, me, ada.id, "tab-0002", False)
    assert _shown(services, tenant, ada) is ON  # one tab in use is enough
    with services.store.write() as uow:
        presence.heartbeat(uow, me, ada.id, TAB, False)
    assert _shown(services, tenant, ada) is AWAY
    with services.store.write() as uow:
        presence.choose(uow, me, ada.id, "offline")
    assert _shown(services, tenant, ada) is OFF
    with services.store.write() as uow:
        presence.choose(uow, me, ada.id, "online")
        presence.heartbeat(uow, me, ada.id, TAB, True)
        presence.tab_closed(uow, me, ada.id, TAB)
    assert _shown(services, tenant, ada) is AWAY  # the other tab is still open, unused
    with services.store.write() as uow:
        presence.tab_closed(uow, me, ada.id, "tab-0002")
    assert _shown(services, tenant, ada) is OFF  # the last tab closed


def test_a_tab_that_went_quiet_counts_as_closed(services: Services, tenant: Tenant) -> None:
    ada = _agent(services, tenant, "Ada")
    with services.store.write() as uow:
        presence.heartbeat(uow, agent_actor(ada), ada.id, TAB, True)
    assert _shown(services, tenant, ada) is ON
    with services.store.write() as uow:  # its last heartbeat 41 s ago
        uow.conn.execute(
            update(t.agent_tabs).where(t.agent_tabs.c.agent_id == ada.id)
            .values(seen=t.agent_tabs.c.seen - 41_000)
        )  # fmt: skip
    assert _shown(services, tenant, ada) is OFF


def test_bad_status_bad_tab_and_someone_elses_status_are_refused(
    services: Services, tenant: Tenant
) -> None:
    ada, bo = _agent(services, tenant, "Ada"), _agent(services, tenant, "Bo")
    with services.store.write() as uow:
        with pytest.raises(Invalid):
            presence.choose(uow, agent_actor(ada), ada.id, "busy")
        with pytest.raises(Invalid):
            presence.heartbeat(uow, agent_actor(ada), ada.id, "short", True)
        with pytest.raises(Forbidden):
            presence.choose(uow, agent_actor(ada), bo.id, "offline")


def _waiting(services: Services, tenant: Tenant) -> str:
    with services.store.write() as uow:
        opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), None)
        public_id = opened.conversation.public_id
        chat.post_visitor_message(uow, chat.visitor_actor(opened.conversation), public_id, "hi")
    return public_id


def test_the_chat_limit_caps_joins_replies_and_transfers(
    services: Services, tenant: Tenant
) -> None:
    ada, bo = _agent(services, tenant, "Ada"), _agent(services, tenant, "Bo")
    first, second, third = (_waiting(services, tenant) for _ in range(3))
    with services.store.write() as uow:
        presence.set_limit(uow, tenant.actor, ada.id, 1)
        chat.join(uow, tenant.actor, first, ada.id)
        chat.join(uow, tenant.actor, second, bo.id)
    for attempt in (
        lambda uow: chat.join(uow, tenant.actor, third, ada.id),
        lambda uow: chat.agent_reply(uow, tenant.actor, third, ada.id, "hello"),
        lambda uow: chat.transfer(uow, tenant.actor, second, bo.id, ada.id),
    ):
        with pytest.raises(Conflict) as refused, services.store.write() as uow:
            attempt(uow)
        assert refused.value.code == "chat_limit_reached"
    with services.store.read() as uow:
        assert chat.get_conversation(uow, tenant.actor, third).status is ChatStatus.WAITING
        assert chat.get_conversation(uow, tenant.actor, second).agent_id == bo.id
        assert presence.seat_of(uow, tenant.actor, ada.id).active_chats == 1
    with services.store.write() as uow:
        chat.close(uow, tenant.actor, first, ada.id)
        chat.join(uow, tenant.actor, third, ada.id)  # room again
        presence.set_limit(uow, tenant.actor, ada.id, None)
        chat.transfer(uow, tenant.actor, second, bo.id, ada.id)  # no limit any more
    with services.store.read() as uow:
        assert presence.seat_of(uow, tenant.actor, ada.id).active_chats == 2


def test_only_admins_set_limits_and_within_bounds(services: Services, tenant: Tenant) -> None:
    ada = _agent(services, tenant, "Ada")
    chat_key = Actor(account_id=tenant.id, label="key", scopes=frozenset({Scope.CHAT_WRITE}))
    with services.store.write() as uow:
        with pytest.raises(Forbidden):
            presence.set_limit(uow, agent_actor(ada), ada.id, 3)
        with pytest.raises(Forbidden):
            presence.set_limit(uow, chat_key, ada.id, 3)
        for bad in (0, 101):
            with pytest.raises(Invalid):
                presence.set_limit(uow, tenant.actor, ada.id, bad)
        presence.set_limit(uow, tenant.actor, ada.id, 100)
    with services.store.read() as uow:
        assert presence.seat_of(uow, tenant.actor, ada.id).status.chat_limit == 100


def test_the_widget_counts_console_agents_and_socket_agents_who_are_not_away(
    services: Services, tenant: Tenant
) -> None:
    ada, bo = _agent(services, tenant, "Ada"), _agent(services, tenant, "Bo")

    def available(connected: list[int]) -> bool:
        with services.store.read() as uow:
            return chat.agents_available(uow, tenant.account.id, connected)

    assert available([]) is False  # nobody in the console, nobody on a socket
    assert available([ada.id]) is True  # on the agents' socket, no status chosen
    with services.store.write() as uow:
        presence.choose(uow, agent_actor(ada), ada.id, "away")
    assert available([ada.id]) is False  # on the socket, but chose away
    with services.store.write() as uow:
        presence.heartbeat(uow, agent_actor(bo), bo.id, TAB, True)
    assert available([]) is True  # Bo is online in the console, with no socket
    with services.store.write() as uow:
        presence.choose(uow, agent_actor(bo), bo.id, "offline")
    assert available([]) is False
