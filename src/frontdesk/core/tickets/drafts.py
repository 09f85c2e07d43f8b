"""Drafts of an agent's reply or note, saved as they type: they survive a reload and a
crash, and are gone once the message is sent (or the agent discards them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets._checks import MAX_BODY, checked_text
from frontdesk.core.tickets._lookup import get_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Draft

KINDS = ("reply", "note")
DRAFT_SAVED = events.DRAFT_SAVED
DRAFT_DISCARDED = events.DRAFT_DISCARDED


@dataclass(frozen=True)
class DraftText:
    body: str
    to: str = ""
    cc: str = ""
    bcc: str = ""


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid("invalid_draft", "A draft is a reply or a note", field="kind")
    return kind


def save(uow: TicketsUnit, actor: Actor, ticket_id: int, kind: str, text: DraftText) -> Draft:
    """Keep what the agent wrote so far (an empty body discards the draft)."""
    ticket = get_ticket(uow, actor, ticket_id)
    if actor.agent_id is None:
        raise Invalid("agents_only", "Only agents keep drafts", field="kind")
    body = checked_text(text.body, "body", MAX_BODY)
    if not body:
        discard(uow, actor, ticket.id, _kind(kind))
        return Draft(ticket.id, actor.agent_id, kind, "", "", "", "", now_ms())
    now = now_ms()
    draft = Draft(
        ticket_id=ticket.id,
        agent_id=actor.agent_id,
        kind=_kind(kind),
        body=body,
        to=checked_text(text.to, "to", 5000),
        cc=checked_text(text.cc, "cc", 5000),
        bcc=checked_text(text.bcc, "bcc", 5000),
        updated=now,
    )
    uow.drafts.put_draft(actor.account_id, draft)
    events.record(uow, actor, DRAFT_SAVED, now, ticket_id=ticket.id, kind=kind)
    return draft


def of_ticket(uow: TicketsUnit, actor: Actor, ticket_id: int) -> dict[str, Draft]:
    """The actor's drafts on a ticket, by kind."""
    if actor.agent_id is None:
        return {}
    found: Sequence[Draft] = uow.drafts.drafts_of(actor.agent_id, ticket_id)
    return {draft.kind: draft for draft in found}


def discard(uow: TicketsUnit, actor: Actor, ticket_id: int, kind: str) -> None:
    if actor.agent_id is None:
        return
    if uow.drafts.delete_draft(actor.agent_id, ticket_id, _kind(kind)):
        events.record(uow, actor, DRAFT_DISCARDED, now_ms(), ticket_id=ticket_id, kind=kind)
