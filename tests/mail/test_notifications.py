"""Agents' notifications by e-mail, through the outbox, to a real SMTP peer (aiosmtpd).

Each kind reaches the agent it is for, and never the agent who acted; a ticket's mails
share one thread root; each says how to turn them off; a digest gathers them instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from frontdesk.core import chat, tickets
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.identity import sessions
from frontdesk.core.identity.accounts import AgentFields, create_agent
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail import replies
from frontdesk.core.mail.outbox import NOTIFICATION, NOTIFICATION_DIGEST
from frontdesk.core.notify import inbox, mails
from frontdesk.core.notify.records import Delivery, Kind, Preferences, Shown
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.records import MessageKind
from frontdesk.mail.inbound import SMTP
from frontdesk.services import Services
from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import open_ticket
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


# -- what each mail and page says, read from the outbox rows (no relay needed) --------------
# These pin the notification mails' exact words, headers and fields, and the refusals and
# events of an agent's own side (core/notify; docs/testing.md, "Mutation score").


def _queued(desk: MailDesk, agent: Agent, kind: str = NOTIFICATION) -> list[dict[str, object]]:
    with desk.services.store.read() as uow:
        rows = uow.conn.execute(
            select(t.outbox)
            .where(t.outbox.c.to_addr == agent.email, t.outbox.c.kind == kind)
            .order_by(t.outbox.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def _events_of(desk: MailDesk, kind: str) -> list[dict[str, object]]:
    with desk.services.store.read() as uow:
        rows = uow.conn.execute(
            select(t.events.c.data)
            .where(t.events.c.account_id == desk.tenant.id, t.events.c.kind == kind)
            .order_by(t.events.c.id)
        ).all()
    return [json.loads(row[0]) for row in rows]


def _shown(desk: MailDesk, agent: Agent) -> list[Shown]:
    with desk.services.store.read() as uow:
        return inbox.notifications_of(uow, desk.tenant.actor, agent.id, before_id=None, limit=100)


def _send_due_digests(services: Services) -> None:
    """Digests are queued for every account at once: those other tests left due go first,
    so that a test can count its own."""
    with services.store.write() as uow:
        mails.queue_digests(uow, services.settings.public_base_url, now_ms())


FOOTER = (
    "\n--\nYou get this mail because of your notification settings. To change them or "
    "turn these mails off: http://frontdesk.test/notifications/settings\n"
)


def test_an_instant_mail_says_what_happened_quotes_the_customer_and_threads(team: Team) -> None:
    # kills queue_instant's, _their_words', _thread_root's, _footer's and _queue's text and
    # field mutants: the whole subject and body, the thread root, the first attempt
    desk, bo = team.desk, team.bo
    first = _customer_mail(desk, "  It is broken  ", sender="Dee Long <dee@example.org>",
                           Message_ID="<one@example.org>")  # fmt: skip
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, first, [bo.id])
    long = "x" * 10_001
    _customer_mail(desk, long, sender="dee@example.org", In_Reply_To="<one@example.org>")
    with desk.services.store.read() as uow:
        ticket = uow.tickets.get_ticket(desk.tenant.id, first)
    assert ticket is not None
    about = f"#{ticket.number} {ticket.subject}"
    root = f"<ticket-{ticket.uuid}@{desk.support.email.rsplit('@', 1)[1]}>"
    opened, assigned, replied = _queued(desk, bo)
    shown = {s.notification.kind: s.notification for s in _shown(desk, bo)}
    assert opened["subject"] == f"[Frontdesk] New ticket: {about}"
    assert opened["body"] == (
        f"New ticket: {about}\n\nOpen it: http://frontdesk.test/tickets/{first}\n"
        f"\n{replies.ANSWER_BY_MAIL}\n{FOOTER}"
    )
    assert assigned["subject"] == f"[Frontdesk] Assigned to you: {about}"
    assert replied["body"] == (
        f"The customer replied: {about}\n\nOpen it: http://frontdesk.test/tickets/{first}\n"
        f"\nDee Long wrote:\n\n{'x' * 10_000} [...]\n\n{replies.ANSWER_BY_MAIL}\n{FOOTER}"
    )
    for row, kind in ((opened, Kind.NEW_TICKET), (assigned, Kind.ASSIGNED),
                      (replied, Kind.CUSTOMER_REPLY)):  # fmt: skip
        assert (row["in_reply_to"], row["references"]) == (root, root)
        assert (row["from_addr"], row["to_addrs"]) == (desk.support.email, bo.email)
        assert (row["ticket_id"], row["attempts"]) == (first, 0)
        assert row["dedupe_key"] == f"notification:{shown[kind].id}"
    # the customer's reply and a mention name their message
    assert shown[Kind.CUSTOMER_REPLY].message_id is not None
    with desk.services.store.write() as uow:
        note = replies.post(
            uow, _as(team.ann), first, replies.TeamMessage("@bo look", internal=True)
        )
    with desk.services.store.read() as uow:
        (mentioned,) = [s for s in inbox.notifications_of(
            uow, desk.tenant.actor, bo.id, before_id=None, limit=100)
            if s.notification.kind is Kind.MENTION]  # fmt: skip
    assert mentioned.notification.message_id == note.message.id


def test_a_digest_lists_tickets_and_chats_by_number_and_link(team: Team) -> None:
    # kills _digest_line's mutants, queue_digests' text and fields, and the rstrip of a base
    # URL ending in "/" in link and _footer
    desk, ann, bo = team.desk, team.ann, team.bo
    _send_due_digests(desk.services)
    with desk.services.store.write() as uow:
        daily = Preferences(email=frozenset(Kind), delivery=Delivery.DAILY)
        inbox.set_preferences(uow, desk.tenant.actor, bo.id, daily)
    ticket_id = _customer_mail(desk, "One")
    conversation_id, public_id = _chat_transferred(team)
    with desk.services.store.read() as uow:
        ticket = uow.tickets.get_ticket(desk.tenant.id, ticket_id)
    assert ticket is not None
    now = now_ms()
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, "http://frontdesk.test/", now) == 1
    (digest,) = _queued(desk, bo, NOTIFICATION_DIGEST)
    assert digest["subject"] == "[Frontdesk] 2 notifications"
    assert digest["body"] == (
        "2 notifications since the last digest:\n\n"
        f"- New ticket: ticket #{ticket.number} http://frontdesk.test/tickets/{ticket_id}\n"
        f"- A chat was transferred to you: chat {public_id} http://frontdesk.test/chat\n" + FOOTER
    )
    assert (digest["from_addr"], digest["ticket_id"], digest["attempts"]) == (
        desk.support.email,
        None,
        0,
    )
    assert (digest["in_reply_to"], digest["references"]) == (None, "")
    assert digest["dedupe_key"] == f"notification_digest:{bo.id}:{now}"
    # the transfer names the chat and who handed it on (an API key acting for Ann)
    (transfer,) = [s.notification for s in _shown(desk, bo)
                   if s.notification.kind is Kind.CHAT_TRANSFER]  # fmt: skip
    assert (transfer.conversation_id, transfer.by_agent_id) == (conversation_id, ann.id)
    assert transfer.ticket_id is None


def test_links_keep_a_base_urls_path_and_drop_only_its_slash(team: Team) -> None:
    # kills link's and _footer's rstrip("XX/XX"): only "/" is stripped, never a letter
    desk, bo = team.desk, team.bo
    _send_due_digests(desk.services)
    with desk.services.store.write() as uow:
        daily = Preferences(email=frozenset(Kind), delivery=Delivery.DAILY)
        inbox.set_preferences(uow, desk.tenant.actor, bo.id, daily)
    ticket_id = _customer_mail(desk, "One")
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, "https://example.org/SUPPORTX/", now_ms()) == 1
    (digest,) = _queued(desk, bo, NOTIFICATION_DIGEST)
    body = digest["body"]
    assert isinstance(body, str)
    assert f" https://example.org/SUPPORTX/tickets/{ticket_id}\n" in body
    assert body.endswith(
        "turn these mails off: https://example.org/SUPPORTX/notifications/settings\n"
    )


@pytest.mark.parametrize(("limit", "taken"), [(0, False), (1, True), (100, True), (101, False)])
def test_a_notification_page_takes_1_to_100_newest_first(
    team: Team, limit: int, taken: bool
) -> None:
    # kills notifications_of's bounds, its error's parts, and before_id/limit passed as None
    desk, bo = team.desk, team.bo
    made = [_customer_mail(desk, f"Help {n}", sender=f"c{n}@example.org") for n in range(3)]
    assert len(set(made)) == 3
    with desk.services.store.read() as uow:
        if not taken:
            with pytest.raises(Invalid) as refused:
                inbox.notifications_of(uow, desk.tenant.actor, bo.id, before_id=None, limit=limit)
            assert (refused.value.code, refused.value.field) == ("invalid_limit", "limit")
            assert refused.value.message == "limit must be between 1 and 100"
            return
        page = inbox.notifications_of(uow, desk.tenant.actor, bo.id, before_id=None, limit=limit)
        assert [s.notification.ticket_id for s in page] == made[::-1][:limit]
        if limit == 1:
            rest = inbox.notifications_of(
                uow, desk.tenant.actor, bo.id, before_id=page[0].notification.id, limit=1
            )
            assert [s.notification.ticket_id for s in rest] == [made[1]]


def test_marking_read_records_whose_and_how_many(team: Team) -> None:
    # kills mark_read's event without agent_id or count
    desk, bo = team.desk, team.bo
    _customer_mail(desk, "One", sender="one@example.org")
    _customer_mail(desk, "Two", sender="two@example.org")
    with desk.services.store.write() as uow:
        assert inbox.mark_read(uow, desk.tenant.actor, bo.id, None) == 2
    with desk.services.store.write() as uow:
        assert inbox.mark_read(uow, desk.tenant.actor, bo.id, None) == 0  # nothing recorded
    assert _events_of(desk, inbox.READ) == [{"agent_id": bo.id, "count": 2}]


def test_a_rules_notice_reaches_the_agents_it_names_and_only_them(team: Team) -> None:
    # kills _wanted's RULE branch mutants and _ids' `isinstance(value, list) or True`
    desk, ann, bo = team.desk, team.ann, team.bo
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.write() as uow:
        events.record(uow, desk.tenant.actor, events.RULE_NOTIFIED, now_ms(),
                      ticket_id=ticket_id, agent_ids=[bo.id, "ann", None])  # fmt: skip
        events.record(uow, desk.tenant.actor, events.RULE_NOTIFIED, now_ms(),
                      ticket_id=ticket_id, agent_ids=ann.id)  # not a list: nobody  # fmt: skip
    rules_bo = [s.notification for s in _shown(desk, bo) if s.notification.kind is Kind.RULE]
    assert [(n.ticket_id, n.by_agent_id) for n in rules_bo] == [(ticket_id, None)]
    assert [s for s in _shown(desk, ann) if s.notification.kind is Kind.RULE] == []


def test_an_agents_reply_is_no_customer_reply(team: Team) -> None:
    # kills _customer_reply's `and`/`or` swaps: a message by an agent tells nobody
    desk, ann, bo = team.desk, team.ann, team.bo
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, ticket_id, [bo.id])
    with desk.services.store.write() as uow:  # Ann answers from her own mail program
        tickets.add_message(uow, desk.tenant.actor, ticket_id,
                            tickets.NewMessage(body_text="On it", agent_id=ann.id))  # fmt: skip
    kinds = [s.notification.kind for s in _shown(desk, bo)]
    assert Kind.CUSTOMER_REPLY not in kinds


def test_the_teams_own_words_are_no_customer_reply(team: Team) -> None:
    # kills _customer_reply's `kind != "external" and ...` and `contact_id is None and ...`:
    # a note written through a key (no agent, so it is put down to the requester) and a
    # message written as the team (no agent, no contact) are not the customer writing
    desk, bo = team.desk, team.bo
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, ticket_id, [bo.id])
    with desk.services.store.write() as uow:
        note = tickets.add_message(uow, desk.tenant.actor, ticket_id,
                                   tickets.NewMessage(body_text="Called them",
                                                      kind=MessageKind.INTERNAL))  # fmt: skip
        team_reply = tickets.add_message(uow, desk.tenant.actor, ticket_id,
                                         tickets.NewMessage(body_text="We are on it",
                                                            by_team=True))  # fmt: skip
    assert note.contact_id is not None and note.agent_id is None  # what the guard is for
    assert team_reply.contact_id is None and team_reply.agent_id is None
    kinds = [s.notification.kind for s in _shown(desk, bo)]
    assert Kind.CUSTOMER_REPLY not in kinds
    with desk.services.store.write() as uow:  # while the customer's own words still count
        tickets.add_message(uow, desk.tenant.actor, ticket_id,
                            tickets.NewMessage(body_text="Any news?"))  # fmt: skip
    kinds = [s.notification.kind for s in _shown(desk, bo)]
    assert kinds.count(Kind.CUSTOMER_REPLY) == 1


def test_a_mails_subject_is_cut_to_1000_characters(team: Team) -> None:
    # kills _queue's subject[:1001]: "[Frontdesk] New ticket: #n " and a 1,000-character
    # subject make more than the outbox takes
    desk, bo = team.desk, team.bo
    _customer_mail(desk, "Long", subject="s" * 1000)
    (opened,) = _queued(desk, bo)
    subject = opened["subject"]
    assert isinstance(subject, str)
    assert len(subject) == 1000
    assert subject.startswith("[Frontdesk] New ticket: #") and subject.endswith("s" * 900)


def test_only_the_agent_or_a_key_reads_an_agents_notifications(team: Team) -> None:
    # kills _agent's Forbidden codes and messages
    desk, ann, bo = team.desk, team.ann, team.bo
    customer = Actor(account_id=desk.tenant.id, label="customer", contact_id=1)
    with desk.services.store.read() as uow:
        with pytest.raises(Forbidden) as token:
            inbox.unread(uow, customer, bo.id)
        with pytest.raises(Forbidden) as other:
            inbox.unread(uow, sessions.agent_actor(ann), bo.id)
        assert inbox.unread(uow, sessions.agent_actor(bo), bo.id) == 0
        assert inbox.unread(uow, desk.tenant.actor, bo.id) == 0
    assert (token.value.code, token.value.message) == (
        "customer_token",
        "A customer token has no notifications",
    )
    assert (other.value.code, other.value.message) == (
        "not_yours",
        "Agents see and set only their own notifications",
    )


def test_changing_preferences_keeps_the_last_digest_and_is_recorded(team: Team) -> None:
    # kills set_preferences' kept.last_digest read for another agent or dropped, and its
    # event without agent_id
    desk, bo = team.desk, team.bo
    with desk.services.store.write() as uow:
        uow.notify.set_last_digest(bo.id, 1_234_567)
    with desk.services.store.write() as uow:
        chosen = inbox.set_preferences(uow, desk.tenant.actor, bo.id,
                                       Preferences(web=frozenset({Kind.MENTION})))  # fmt: skip
    assert chosen.last_digest == 1_234_567
    with desk.services.store.read() as uow:
        stored = inbox.preferences_of(uow, desk.tenant.actor, bo.id)
    assert (stored.web, stored.last_digest) == (frozenset({Kind.MENTION}), 1_234_567)
    settings = _events_of(desk, inbox.SETTINGS_CHANGED)
    assert settings[-1] == {"agent_id": bo.id}


def test_web_only_is_marked_mailed_mail_only_is_marked_read_and_no_choice_is_the_default(
    desk: MailDesk,
) -> None:
    # kills notify's default Preferences() dropped, mark_read and mark_mailed given None
    actor = desk.tenant.actor
    with desk.services.store.write() as uow:
        web, mailed, default = (
            create_agent(uow, actor, AgentFields(name=n, email=desk.tenant.address(n)))
            for n in ("web", "mailed", "default")
        )
        inbox.set_preferences(uow, actor, web.id, Preferences(email=frozenset()))
        inbox.set_preferences(uow, actor, mailed.id, Preferences(web=frozenset()))
    ticket_id = _customer_mail(desk, "Help")
    with desk.services.store.write() as uow:
        tickets.assign(uow, actor, ticket_id, [web.id, mailed.id, default.id])

    def assigned(agent: Agent) -> Shown:
        (found,) = [s for s in _shown(desk, agent) if s.notification.kind is Kind.ASSIGNED]
        return found

    assert assigned(web).notification.mailed is not None  # never to be mailed
    assert assigned(web).notification.read_at is None
    assert assigned(mailed).notification.read_at is not None  # mail only: nothing on the bell
    assert len(_queued(desk, mailed)) == 1
    # no saved choice: the bell and the mail, as Preferences() says
    assert assigned(default).notification.read_at is None
    assert [row["subject"] for row in _queued(desk, default)] == [
        f"[Frontdesk] Assigned to you: #{_number(desk, ticket_id)} Printer on fire"
    ]


def _number(desk: MailDesk, ticket_id: int) -> int:
    with desk.services.store.read() as uow:
        ticket = uow.tickets.get_ticket(desk.tenant.id, ticket_id)
    assert ticket is not None
    return ticket.number


def test_an_account_without_an_inbox_gets_the_bell_and_no_mail(tenant: Tenant) -> None:
    # kills _sender's `inboxes or True` (min of no inboxes)
    actor = tenant.actor
    with tenant.services.store.write() as uow:
        bo = create_agent(uow, actor, AgentFields(name="Bo", email=tenant.address("bo")))
        inbox.set_preferences(uow, actor, bo.id, Preferences(email=frozenset(Kind)))
    ticket = open_ticket(tenant)
    with tenant.services.store.write() as uow:
        tickets.assign(uow, actor, ticket.id, [bo.id])
    with tenant.services.store.read() as uow:
        shown = inbox.notifications_of(uow, actor, bo.id, before_id=None, limit=10)
        queued = uow.conn.execute(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.to_addr == bo.email)
        ).scalar_one()
    assert [s.notification.kind for s in shown] == [Kind.ASSIGNED, Kind.NEW_TICKET]
    assert queued == 0


def _chat_transferred(team: Team) -> tuple[int, str]:
    """A visitor's chat that Ann joined and handed to Bo (which tells Bo): its id and
    public id."""
    desk, ann, bo = team.desk, team.ann, team.bo
    with desk.services.store.write() as uow:
        opened = chat.open_conversation(uow, desk.tenant.id, VisitorInfo(), None)
        public_id = opened.conversation.public_id
        chat.post_visitor_message(uow, chat.visitor_actor(opened.conversation), public_id, "hi")
        chat.join(uow, desk.tenant.actor, public_id, ann.id)
        chat.transfer(uow, desk.tenant.actor, public_id, ann.id, bo.id)
    return opened.conversation.id, public_id


def test_a_chats_instant_mail_threads_on_the_chat(team: Team) -> None:
    # kills _thread_root's `ticket_uuid is None`: a chat's mails have a root of their own
    desk, bo = team.desk, team.bo
    _, public_id = _chat_transferred(team)
    (row,) = _queued(desk, bo)
    root = f"<chat-{public_id}@{desk.support.email.rsplit('@', 1)[1]}>"
    assert (row["in_reply_to"], row["references"], row["ticket_id"]) == (root, root, None)
    assert row["subject"] == f"[Frontdesk] A chat was transferred to you: chat {public_id}"
    assert row["body"] == (
        f"A chat was transferred to you (by Ann): chat {public_id}\n\n"
        f"Open it: http://frontdesk.test/chat\n{FOOTER}"
    )


def test_each_agent_gets_a_digest_of_their_own_news_once_an_hour(team: Team) -> None:
    # kills queue_digests' shown[1] (a digest of one), `queued = 1`, and the mark_mailed and
    # set_last_digest calls given None (each alone is hidden by the other)
    desk, ann, bo = team.desk, team.ann, team.bo
    _send_due_digests(desk.services)
    hourly = Preferences(email=frozenset(Kind), delivery=Delivery.HOURLY)
    with desk.services.store.write() as uow:
        for agent in (ann, bo):
            inbox.set_preferences(uow, desk.tenant.actor, agent.id, hourly)
    first = _customer_mail(desk, "One", sender="one@example.org")
    now = now_ms()
    base = "http://frontdesk.test"
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, base, now) == 2  # Ann's and Bo's
    for agent in (ann, bo):
        (digest,) = _queued(desk, agent, NOTIFICATION_DIGEST)
        assert digest["subject"] == "[Frontdesk] 1 notifications"
        assert f"/tickets/{first}" in str(digest["body"])
    second = _customer_mail(desk, "Two", sender="two@example.org")
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, base, now + 1000) == 0  # Bo's hour has not passed
    with desk.services.store.write() as uow:
        assert mails.queue_digests(uow, base, now + 3_600_001) == 2
    later = _queued(desk, bo, NOTIFICATION_DIGEST)[1]
    assert later["subject"] == "[Frontdesk] 1 notifications"  # the first one was mailed
    assert f"/tickets/{second}" in str(later["body"])
    assert f"/tickets/{first}" not in str(later["body"])


def test_a_message_of_exactly_10000_characters_is_quoted_whole(team: Team) -> None:
    # kills _their_words' `len(text) >= MAX_QUOTED`
    desk, bo = team.desk, team.bo
    first = _customer_mail(desk, "Help", Message_ID="<whole@example.org>")
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, first, [bo.id])
    _customer_mail(desk, "y" * 10_000, In_Reply_To="<whole@example.org>")
    replied = _queued(desk, bo)[-1]
    assert f"wrote:\n\n{'y' * 10_000}\n\n" in str(replied["body"])
    assert "[...]" not in str(replied["body"])


def test_mails_sent_at_once_are_not_repeated_in_a_later_digest(team: Team) -> None:
    # kills queue_instant's mark_mailed given None (ids or time)
    desk, bo = team.desk, team.bo
    _customer_mail(desk, "One", sender="one@example.org")
    assert len(_queued(desk, bo)) == 1  # at once
    _send_due_digests(desk.services)
    with desk.services.store.write() as uow:
        hourly = Preferences(email=frozenset(Kind), delivery=Delivery.HOURLY)
        inbox.set_preferences(uow, desk.tenant.actor, bo.id, hourly)
        assert mails.queue_digests(uow, "http://frontdesk.test", now_ms()) == 0


def test_a_kind_by_mail_only_leaves_the_others_unread(team: Team) -> None:
    # kills notify's mark_read(agent, None): only the mail-only notification is read
    desk, bo = team.desk, team.bo
    with desk.services.store.write() as uow:
        inbox.set_preferences(uow, desk.tenant.actor, bo.id,
                              Preferences(web=frozenset({Kind.NEW_TICKET})))  # fmt: skip
    ticket_id = _customer_mail(desk, "One", sender="one@example.org")
    with desk.services.store.write() as uow:
        tickets.assign(uow, desk.tenant.actor, ticket_id, [bo.id])
    with desk.services.store.read() as uow:
        assert inbox.unread(uow, desk.tenant.actor, bo.id) == 1  # the new ticket
    read = {s.notification.kind: s.notification.read_at is not None for s in _shown(desk, bo)}
    assert read == {Kind.NEW_TICKET: False, Kind.ASSIGNED: True}


def test_no_digest_without_an_inbox_to_send_it_from(tenant: Tenant) -> None:
    # kills queue_digests' `agent is None and sender is None`
    actor = tenant.actor
    with tenant.services.store.write() as uow:
        bo = create_agent(uow, actor, AgentFields(name="Bo", email=tenant.address("bo")))
        hourly = Preferences(email=frozenset(Kind), delivery=Delivery.HOURLY)
        inbox.set_preferences(uow, actor, bo.id, hourly)
    _send_due_digests(tenant.services)
    open_ticket(tenant)
    with tenant.services.store.write() as uow:
        assert mails.queue_digests(uow, "http://frontdesk.test", now_ms()) == 0
    with tenant.services.store.read() as uow:
        queued = uow.conn.execute(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.to_addr == bo.email)
        ).scalar_one()
        (shown,) = inbox.notifications_of(uow, actor, bo.id, before_id=None, limit=10)
    assert queued == 0
    assert shown.notification.mailed is None  # still waiting for an inbox


def test_an_alarm_on_a_ticket_it_cannot_read_tells_nobody(team: Team, other_tenant: Tenant) -> None:
    # kills _Audience.told's audience.get(...) without its [] default: a ticket the
    # transaction's account cannot read has no audience, and the alarm is dropped quietly
    desk, bo = team.desk, team.bo
    theirs = open_ticket(other_tenant)
    with desk.services.store.write() as uow:
        events.record(uow, desk.tenant.actor, events.SLA_WARNING, now_ms(), ticket_id=theirs.id)
    assert [s for s in _shown(desk, bo) if s.notification.kind is Kind.SLA_WARNING] == []
