"""Agents' notifications by e-mail, through the outbox, to a real SMTP peer (aiosmtpd).

Each kind reaches the agent it is for, and never the agent who acted; a ticket's mails
share one thread root; each says how to turn them off; a digest gathers them instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from frontdesk.core import chat, tickets
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.identity import sessions
from frontdesk.core.identity.accounts import AgentFields, create_agent
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import replies
from frontdesk.core.notify import inbox, mails
from frontdesk.core.notify.records import Delivery, Kind, Preferences
from frontdesk.core.shared.clock import now_ms
from frontdesk.mail.inbound import SMTP
from frontdesk.storage import tables as t
from tests.mail.conftest import MailDesk, RelayPeer, drain, mail, worker_for


@dataclass
class Team:
    desk: MailDesk
    ann: Agent  # acts
    bo: Agent  # is told
    cy: Agent  # works in sales only


@pytest.fixture
def team(desk: MailDesk) -> Team:
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        made = [
            create_agent(
                uow,
                actor,
                AgentFields(name=name, email=desk.tenant.address(local), inbox_ids=inboxes),
            )
            for name, local, inboxes in (
                ("Ann", "ann.agent", ()),
                ("Bo", "bo", ()),
                ("Cy", "cy", (desk.sales.id,)),
            )
        ]
        everything = Preferences(email=frozenset(Kind))
        for agent in made:
            inbox.set_preferences(uow, actor, agent.id, everything)
    return Team(desk, *made)


def _customer_mail(desk: MailDesk, body: str, sender: str | None = None, **headers: str) -> int:
    raw = mail(*([sender] if sender else []), to=desk.support.email, body=body, **headers)
    raw = raw.as_bytes()
    (outcome,) = desk.inbound.deliver(raw, [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def _as(agent: Agent) -> object:
    return sessions.agent_actor(agent)


def _mails_to(relay: RelayPeer, team: Team, agent: Agent) -> list[str]:
    return [str(item.message["Subject"]) for item in relay.to(agent.email, team.desk.support.email)]


def test_each_kind_reaches_its_agent_and_never_the_one_who_acted(
    team: Team, relay: RelayPeer
) -> None:
    desk, ann, bo = team.desk, team.ann, team.bo
    store = desk.services.store
    ticket_id = _customer_mail(desk, "It is broken", Message_ID="<first@example.org>")
    with store.write() as uow:  # Ann assigns herself and Bo
        tickets.assign(uow, sessions.agent_actor(ann), ticket_id, [ann.id, bo.id])
    _customer_mail(desk, "Still broken", Message_ID="<second@example.org>",
                   In_Reply_To="<first@example.org>")  # fmt: skip
    with store.write() as uow:  # Ann's note names Bo and herself
        replies.post(uow, sessions.agent_actor(ann), ticket_id,
                     replies.TeamMessage("@bo and @ann: look", internal=True))  # fmt: skip
    with store.write() as uow:  # a chat Ann holds, handed to Bo
        opened = chat.open_conversation(uow, desk.tenant.id, VisitorInfo(), None)
        public_id = opened.conversation.public_id
        chat.post_visitor_message(uow, chat.visitor_actor(opened.conversation), public_id, "hi")
        chat.join(uow, sessions.agent_actor(ann), public_id, ann.id)
        chat.transfer(uow, sessions.agent_actor(ann), public_id, ann.id, bo.id)
    drain(worker_for(desk.services, relay))

    got = relay.to(bo.email, desk.support.email)
    subjects = sorted(str(item.message["Subject"]).split(":")[0] for item in got)
    # Every kind but a rule's, the SLA's and a failed reply's (no rule, SLA policy or
    # bounce here: tests/core/test_rules_triggers.py, tests/automation/
    # test_sla_notifications.py and tests/mail/test_bounces.py send those).
    elsewhere = {Kind.RULE, Kind.SLA_WARNING, Kind.SLA_BREACH, Kind.MAIL_FAILED}
    wanted = sorted(f"[Frontdesk] {mails.what(kind)}" for kind in Kind if kind not in elsewhere)
    assert subjects == wanted
    # Ann hears what the customer did, never what she did herself (assigning herself,
    # her own note naming her, the chat she handed on).
    ann_got = sorted(str(item.message["Subject"]).split(":")[0]
                     for item in relay.to(ann.email, desk.support.email))  # fmt: skip
    assert ann_got == sorted(
        f"[Frontdesk] {mails.what(kind)}" for kind in (Kind.NEW_TICKET, Kind.CUSTOMER_REPLY)
    )
    # Cy works in sales only: the support ticket is none of his business.
    assert relay.to(team.cy.email, desk.support.email) == []
    on_ticket = [item.message for item in got if "chat" not in str(item.message["Subject"])]
    roots = {str(message["In-Reply-To"]) for message in on_ticket}
    assert len(on_ticket) == 4 and len(roots) == 1  # one thread per ticket
    assert {str(message["References"]) for message in on_ticket} == roots
    assert len({str(message["Message-ID"]) for message in on_ticket}) == 4
    for item in got:
        message = item.message
        assert message["Auto-Submitted"] == "auto-generated"
        assert "[#" not in str(message["Subject"])  # no ticket tag: a reply must not land there
        body = message.get_content()
        assert "turn these mails off" in body and "/notifications/settings" in body
    with store.read() as uow:
        sent_log = uow.conn.execute(
            select(func.count())
            .select_from(t.messages)
            .where(
                t.messages.c.ticket_id == ticket_id, t.messages.c.from_email == desk.support.email
            )
        ).scalar_one()
    assert sent_log == 1  # the auto reply only: notification mails are not on the thread


def test_an_agent_who_turns_a_kind_off_gets_no_mail_but_still_the_bell(
    team: Team, relay: RelayPeer
) -> None:
    desk, ann, bo = team.desk, team.ann, team.bo
    with desk.services.store.write() as uow:
        inbox.set_preferences(uow, desk.tenant.actor, bo.id,
                              Preferences(email=frozenset({Kind.MENTION})))  # fmt: skip
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.write() as uow:
        tickets.assign(uow, sessions.agent_actor(ann), ticket_id, [bo.id])
    drain(worker_for(desk.services, relay))
    assert relay.to(bo.email, desk.support.email) == []
    with desk.services.store.read() as uow:
        shown = inbox.notifications_of(uow, desk.tenant.actor, bo.id, before_id=None, limit=10)
        assert [s.notification.kind for s in shown] == [Kind.ASSIGNED, Kind.NEW_TICKET]
        assert inbox.unread(uow, desk.tenant.actor, bo.id) == 2
    with desk.services.store.write() as uow:
        assert inbox.mark_read(uow, desk.tenant.actor, bo.id, None) == 2
    with desk.services.store.read() as uow:
        assert inbox.unread(uow, desk.tenant.actor, bo.id) == 0


def test_a_digest_gathers_them_once_an_hour(team: Team, relay: RelayPeer) -> None:
    desk, ann, bo = team.desk, team.ann, team.bo
    with desk.services.store.write() as uow:
        hourly = Preferences(email=frozenset(Kind), delivery=Delivery.HOURLY)
        inbox.set_preferences(uow, desk.tenant.actor, bo.id, hourly)
    first = _customer_mail(desk, "One")
    second = _customer_mail(desk, "Two", sender="Dee <dee@example.org>")
    assert second != first
    with desk.services.store.write() as uow:
        tickets.assign(uow, sessions.agent_actor(ann), first, [bo.id])
        tickets.assign(uow, sessions.agent_actor(ann), second, [bo.id])
    drain(worker_for(desk.services, relay))
    assert relay.to(bo.email, desk.support.email) == []  # nothing at once
    now = now_ms()
    base = desk.services.settings.public_base_url
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, base, now) >= 1
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, base, now + 1000) == 0  # not before the hour
    drain(worker_for(desk.services, relay))
    (digest,) = relay.to(bo.email, desk.support.email)
    body = digest.message.get_content()
    assert str(digest.message["Subject"]) == "[Frontdesk] 4 notifications"
    assert body.count("- ") == 4 and f"/tickets/{first}" in body and f"/tickets/{second}" in body
    assert "One" not in body  # tickets by number, never by subject
    assert "turn these mails off" in body


def test_a_rolled_back_change_tells_nobody(team: Team, relay: RelayPeer) -> None:
    desk = team.desk
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.read() as uow:
        before = uow.conn.execute(select(func.count()).select_from(t.notifications)).scalar_one()

    def failing() -> None:
        with desk.services.store.write() as uow:
            tickets.assign(uow, sessions.agent_actor(team.ann), ticket_id, [team.bo.id])
            raise RuntimeError("the request failed after the assignment")

    with pytest.raises(RuntimeError):
        failing()
    with desk.services.store.read() as uow:
        after = uow.conn.execute(select(func.count()).select_from(t.notifications)).scalar_one()
    assert after == before
