"""Categories, departments and custom field definitions: the names tickets are sorted by."""

from __future__ import annotations

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import clean_name
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Named

NAMED_KINDS = ("category", "department", "custom_field")


def create_named(uow: TicketsUnit, actor: Actor, kind: str, name: str) -> Named:
    name = clean_name(name)
    exists = Conflict(f"{kind}_exists", f"A {kind.replace('_', ' ')} named {name!r} exists")
    if uow.taxonomy.find_named(kind, actor.account_id, name) is not None:
        raise exists
    now = now_ms()
    named = uow.taxonomy.insert_named(kind, actor.account_id, name, now)
    if named is None:  # created a moment ago by a concurrent writer
        raise exists
    events.record(uow, actor, f"{kind}.created", now, id=named.id, name=name)
    return named


def get_named(uow: TicketsUnit, actor: Actor, kind: str, row_id: int) -> Named:
    named = uow.taxonomy.get_named(kind, actor.account_id, row_id)
    if named is None:
        raise NotFound(f"{kind}_not_found", f"No {kind.replace('_', ' ')} {row_id}")
    return named


def find_named(uow: TicketsUnit, actor: Actor, kind: str, name: str) -> Named:
    named = uow.taxonomy.find_named(kind, actor.account_id, name.strip())
    if named is None:
        raise NotFound(f"{kind}_not_found", f"No {kind.replace('_', ' ')} named {name[:80]!r}")
    return named


def delete_named(uow: TicketsUnit, actor: Actor, kind: str, row_id: int) -> None:
    named = get_named(uow, actor, kind, row_id)
    if uow.taxonomy.named_in_use(kind, named.id):
        raise Conflict(f"{kind}_in_use", f"Tickets use this {kind.replace('_', ' ')}")
    uow.taxonomy.delete_named(kind, named.id)
    events.record(uow, actor, f"{kind}.deleted", now_ms(), id=named.id)


def list_named(uow: TicketsUnit, actor: Actor, kind: str) -> list[Named]:
    return uow.taxonomy.list_named(kind, actor.account_id)
