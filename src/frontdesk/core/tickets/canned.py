"""Canned responses: replies an account keeps for reuse, each found by a shortcut word.

Shared by every agent of the account, offered in the chat console's reply box and in the
ticket's reply box (type `/` and a word). Placeholders are filled when one is used:
`{visitor_name}` (the chat's visitor or the ticket's requester) and `{agent_name}` (the
agent writing); any other text in braces stays as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.core.contacts import find_contact
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets._checks import checked_text
from frontdesk.core.tickets._lookup import get_ticket
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import CannedResponse

MAX_SHORTCUT = 30
MAX_CANNED_BODY = 5000  # what a chat message may hold, so any canned response fits one
MAX_LISTED = 200
SEARCH_SHOWN = 8
CANNED_CHANGED = "canned.changed"
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PLACEHOLDER = re.compile(r"\{(visitor_name|agent_name)\}")


@dataclass(frozen=True, slots=True)
class CannedText:
    shortcut: str
    body: str


def _checked(text: CannedText) -> dict[str, str]:
    shortcut = checked_text(text.shortcut, "shortcut", MAX_SHORTCUT, required=True).lower()
    shortcut = shortcut.removeprefix("/")
    if not _SHORTCUT.match(shortcut):
        raise Invalid(
            "invalid_shortcut",
            "A shortcut is one word: letters a-z, digits, - and _",
            field="shortcut",
        )
    body = checked_text(text.body, "body", MAX_CANNED_BODY, required=True)
    return {"shortcut": shortcut, "body": body}


def may_change(actor: Actor) -> bool:
    """Owners and admins (in the web app) and admin keys; every agent may use them."""
    return Scope.ADMIN in actor.scopes


def _admin(actor: Actor) -> None:
    if not may_change(actor):
        raise Forbidden("missing_scope", "Changing canned responses needs the admin scope")


def create(uow: TicketsUnit, actor: Actor, text: CannedText) -> CannedResponse:
    _admin(actor)
    now = now_ms()
    values = {**_checked(text), "account_id": actor.account_id, "created": now, "updated": now}
    made = uow.canned.insert_canned(values)  # a taken shortcut is a Conflict
    events.record(uow, actor, CANNED_CHANGED, now, canned_id=made.id)
    return made


def get(uow: TicketsUnit, actor: Actor, canned_id: int) -> CannedResponse:
    found = uow.canned.get_canned(actor.account_id, canned_id)
    if found is None:
        raise NotFound("canned_response_not_found", f"No canned response {canned_id}")
    return found


def update(uow: TicketsUnit, actor: Actor, canned_id: int, text: CannedText) -> CannedResponse:
    _admin(actor)
    found = get(uow, actor, canned_id)
    now = now_ms()
    changed = uow.canned.update_canned(found.id, {**_checked(text), "updated": now})
    events.record(uow, actor, CANNED_CHANGED, now, canned_id=found.id)
    return changed


def delete(uow: TicketsUnit, actor: Actor, canned_id: int) -> None:
    _admin(actor)
    found = get(uow, actor, canned_id)
    uow.canned.delete_canned(found.id)
    events.record(uow, actor, CANNED_CHANGED, now_ms(), canned_id=found.id, deleted=True)


def listed(uow: TicketsUnit, actor: Actor, search: str = "") -> list[CannedResponse]:
    """The account's canned responses by shortcut; `search` narrows (shortcut or text)."""
    word = check_search(search)
    return uow.canned.list_canned(actor.account_id, word, limit=MAX_LISTED)


def suggestions(uow: TicketsUnit, actor: Actor, typed: str) -> list[CannedResponse]:
    """What `/word` in a reply box offers: shortcuts starting with the word first."""
    word = check_search(typed.removeprefix("/"))
    found = uow.canned.list_canned(actor.account_id, word, limit=MAX_LISTED)
    found.sort(key=lambda canned: (not canned.shortcut.startswith(word), canned.shortcut))
    return found[:SEARCH_SHOWN]


def check_search(value: str) -> str:
    return checked_text(value, "q", 200).lower()


def requester_name(uow: TicketsUnit, actor: Actor, ticket_id: int) -> str:
    """Who `{visitor_name}` names on a ticket: its requester's name, else their address."""
    ticket = get_ticket(uow, actor, ticket_id)
    if ticket.requester_id is None:
        return ""
    requester = find_contact(uow, actor.account_id, ticket.requester_id)
    return (requester.name or requester.email) if requester else ""


def fill(body: str, *, visitor_name: str, agent_name: str) -> str:
    """The text as it goes into a reply: placeholders replaced, the rest as written."""
    names = {"visitor_name": visitor_name, "agent_name": agent_name}
    return _PLACEHOLDER.sub(lambda match: names[match.group(1)], body)
