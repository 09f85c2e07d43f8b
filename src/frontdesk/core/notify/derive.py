"""Who hears about what: notifications drawn from the events a transaction recorded.

Run in the same transaction, just before it commits (services wires it to the store), so
a notification exists if and only if what it tells of was committed, and its mail is
queued in the outbox with it. The agent who acted is never told of their own action.
No event of its own: the event that caused it already reaches every open tab of the
account (web/live.py), and the bell re-fetches its count on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from frontdesk.core.chat import CHAT_TRANSFERRED
from frontdesk.core.identity.records import Agent
from frontdesk.core.mail.outbox import AGENT_REPLY, MAIL_FAILED, MAIL_UNKNOWN
from frontdesk.core.mail.replies import MENTIONED
from frontdesk.core.notify.mails import queue_instant
from frontdesk.core.notify.ports import NotifyUnit
from frontdesk.core.notify.records import Delivery, Kind, NewNotification, Notification, Preferences
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.records import Event
from frontdesk.core.tickets.records import Ticket

_SLA = {events.SLA_WARNING: Kind.SLA_WARNING, events.SLA_BREACHED: Kind.SLA_BREACH}
# A reply that bounced or was refused, or whose delivery is unknown (core.mail.outbox).
_MAIL = frozenset({MAIL_FAILED, MAIL_UNKNOWN})
_ALARMS = frozenset({*_SLA, *_MAIL})  # told to the ticket's assignees, else its inbox's agents
_KINDS = {events.TICKET_OPENED, events.ASSIGNED, events.MESSAGE_ADDED, MENTIONED,
          CHAT_TRANSFERRED, events.RULE_NOTIFIED, *_SLA, *_MAIL}  # fmt: skip


def notify(uow: NotifyUnit, pending: Sequence[Event], base_url: str) -> list[Notification]:
    """Store (and mail, for those who want it at once) what `pending` tells agents."""
    relevant = [event for event in pending if event.kind in _KINDS]
    if not relevant:
        return []
    wanted = list(dict.fromkeys(_wanted(uow, relevant)))
    preferences = uow.notify.preferences(sorted({new.agent_id for new in wanted}))
    made = []
    now = now_ms()
    for new in wanted:
        chosen = preferences.get(new.agent_id, Preferences())
        if new.kind not in chosen.web and new.kind not in chosen.email:
            continue
        made.append(notification := uow.notify.insert_notification(new, now))
        if new.kind not in chosen.web:
            uow.notify.mark_read(new.agent_id, [notification.id], now)  # mail only
        if new.kind in chosen.email and chosen.delivery is Delivery.INSTANT:
            queue_instant(uow, notification, base_url, now)
        elif new.kind not in chosen.email:
            uow.notify.mark_mailed([notification.id], now)  # never to be mailed
    return made


def _wanted(uow: NotifyUnit, pending: Sequence[Event]) -> Iterator[NewNotification]:
    opened = {event.ticket_id for event in pending if event.kind == events.TICKET_OPENED}
    alarmed = _Audience(uow, pending)
    for event in pending:
        if event.kind == events.TICKET_OPENED:
            yield from _new_ticket(uow, event)
        elif event.kind == events.ASSIGNED:
            yield from _to(event, Kind.ASSIGNED, _ids(event.data.get("added")))
        elif event.kind == events.MESSAGE_ADDED and event.ticket_id not in opened:
            yield from _customer_reply(uow, event)
        elif event.kind == events.RULE_NOTIFIED:
            yield from _to(event, Kind.RULE, _ids(event.data.get("agent_ids")))
        elif event.kind == MENTIONED:
            yield from _mention(uow, event)
        elif event.kind == CHAT_TRANSFERRED:
            yield from _transfer(event)
        elif event.kind in _SLA:
            yield from _to(event, _SLA[event.kind], alarmed.told(event.ticket_id))
        elif event.kind in _MAIL:
            yield from _failed_reply(uow, event, alarmed)


def _ids(value: object) -> list[int]:
    return [item for item in value if isinstance(item, int)] if isinstance(value, list) else []


def _to(
    event: Event, kind: Kind, agent_ids: Sequence[int], *, by: int | None = None,
    message_id: int | None = None, conversation_id: int | None = None,
) -> Iterator[NewNotification]:  # fmt: skip
    acting = {event.agent_id, by} - {None}
    for agent_id in agent_ids:
        if agent_id not in acting:
            yield NewNotification(
                event.account_id, agent_id, kind, ticket_id=event.ticket_id,
                conversation_id=conversation_id, message_id=message_id,
                by_agent_id=by or event.agent_id,
            )  # fmt: skip


def _new_ticket(uow: NotifyUnit, event: Event) -> Iterator[NewNotification]:
    ticket = uow.tickets.get_ticket(event.account_id, event.ticket_id or 0)
    if ticket is None:
        return
    yield from _to(event, Kind.NEW_TICKET, _working_in(uow, ticket))


def _working_in(uow: NotifyUnit, ticket: Ticket) -> list[int]:
    """The agents who work in the ticket's inbox (those with no inbox chosen work in all)."""
    return _in_inbox(uow.accounts.list_agents(ticket.account_id), ticket)


def _in_inbox(agents: Sequence[Agent], ticket: Ticket) -> list[int]:
    return [
        agent.id for agent in agents if not agent.inbox_ids or ticket.inbox_id in agent.inbox_ids
    ]


class _Audience:
    """Whom each alarm of a transaction goes to (an SLA warning or breach, a reply that
    failed): the ticket's assignees, or when it has none the agents of its inbox. The SLA
    clock or the mail channel is the event's actor; an agent whose own change in this
    transaction recorded it (a late reply records the breach) is the one who acted, and is
    not told.

    A sweep records hundreds of alarms in one transaction: the tickets, their assignees and
    each account's agents are read once for all of them, not once per alarm.
    """

    def __init__(self, uow: NotifyUnit, pending: Sequence[Event]) -> None:
        alarms = [event for event in pending if event.kind in _ALARMS and event.ticket_id]
        self.acting: dict[int, set[int]] = {}
        for event in pending:
            if event.ticket_id is not None and event.agent_id is not None:
                self.acting.setdefault(event.ticket_id, set()).add(event.agent_id)
        self.audience: dict[int, list[int]] = {}
        for account_id in sorted({event.account_id for event in alarms}):
            ids = sorted({event.ticket_id for event in alarms
                          if event.account_id == account_id and event.ticket_id})  # fmt: skip
            self._read(uow, account_id, ids)

    def _read(self, uow: NotifyUnit, account_id: int, ticket_ids: list[int]) -> None:
        found = uow.tickets.get_tickets(account_id, ticket_ids)
        details = uow.tickets.tags_and_assignees(sorted(found))
        unassigned = [ticket for ticket in found.values() if not details[ticket.id].assignee_ids]
        agents = uow.accounts.list_agents(account_id) if unassigned else []
        for ticket in found.values():
            assignees = list(details[ticket.id].assignee_ids)
            self.audience[ticket.id] = assignees or _in_inbox(agents, ticket)

    def told(self, ticket_id: int | None) -> list[int]:
        """The agents to tell of an alarm on the ticket (none when it is gone)."""
        acting = self.acting.get(ticket_id or 0, set())
        return [agent for agent in self.audience.get(ticket_id or 0, []) if agent not in acting]


def _failed_reply(uow: NotifyUnit, event: Event, audience: _Audience) -> Iterator[NewNotification]:
    """An agent's reply that did not reach its recipients. Only replies: an auto reply or a
    survey bouncing (a spammer's made-up address) needs nobody, and a notification mail
    that failed must not make another (which could fail in turn)."""
    outbox_id, line = event.data.get("outbox_id"), event.data.get("message_id")
    mail = uow.mail.get_outbox(event.account_id, outbox_id) if isinstance(outbox_id, int) else None
    if mail is None or mail.kind != AGENT_REPLY or not isinstance(line, int):
        return
    yield from _to(event, Kind.MAIL_FAILED, audience.told(event.ticket_id), message_id=line)


def _customer_reply(uow: NotifyUnit, event: Event) -> Iterator[NewNotification]:
    message_id = event.data.get("message_id")
    if event.data.get("kind") != "external" or not isinstance(message_id, int):
        return
    found = uow.tickets.get_messages(event.account_id, [message_id])
    message = found[0] if found else None
    if message is None or message.contact_id is None or message.agent_id is not None:
        return  # an agent's reply, not the customer's
    assignees = uow.tickets.tags_and_assignees([message.ticket_id])[message.ticket_id]
    yield from _to(event, Kind.CUSTOMER_REPLY, assignees.assignee_ids, message_id=message.id)


def _mention(uow: NotifyUnit, event: Event) -> Iterator[NewNotification]:
    message_id = event.data.get("message_id")
    found = uow.tickets.get_messages(event.account_id, [message_id]) if isinstance(
        message_id, int) else []  # fmt: skip
    author = found[0].agent_id if found else None
    mentioned = _ids(event.data.get("agent_ids"))
    yield from _to(event, Kind.MENTION, mentioned, by=author,
                   message_id=message_id if isinstance(message_id, int) else None)  # fmt: skip


def _transfer(event: Event) -> Iterator[NewNotification]:
    to, by = event.data.get("to_agent_id"), event.data.get("by_agent_id")
    conversation = event.data.get("conversation")
    if isinstance(to, int) and isinstance(conversation, int):
        yield from _to(event, Kind.CHAT_TRANSFER, [to], by=by if isinstance(by, int) else None,
                       conversation_id=conversation)  # fmt: skip
