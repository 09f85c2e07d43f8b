"""Categories, departments, custom field definitions and labels: the names tickets are
sorted by."""

from __future__ import annotations

from dataclasses import replace

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.shared.text import clean_name
from frontdesk.core.tickets._checks import MAX_NAME
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import LabelUse, Named

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


def rename_named(uow: TicketsUnit, actor: Actor, kind: str, row_id: int, name: str) -> Named:
    """Tickets refer to a category, department or field by id, so they follow the new
    name at once; only another row of the same kind may not have it already."""
    named = get_named(uow, actor, kind, row_id)
    name = clean_name(name)
    if name == named.name:
        return named
    other = uow.taxonomy.find_named(kind, actor.account_id, name)
    if other is not None and other.id != named.id:
        raise Conflict(f"{kind}_exists", f"A {kind.replace('_', ' ')} named {name!r} exists")
    uow.taxonomy.rename_named(kind, named.id, name)
    events.record(
        uow, actor, f"{kind}.renamed", now_ms(), id=named.id, name=name, previous=named.name
    )
    return replace(named, name=name)


# -- labels: words on tickets, kept by name (ticket_labels), listed per account ----------


def list_labels(uow: TicketsUnit, actor: Actor) -> list[LabelUse]:
    _require_admin(actor)
    return uow.taxonomy.label_uses(actor.account_id)


def add_label(uow: TicketsUnit, actor: Actor, name: str) -> str:
    """A label on the account's list before any ticket carries it (views and pickers)."""
    _require_admin(actor)
    name = clean_name(name, limit=MAX_NAME)
    if uow.taxonomy.has_label(actor.account_id, name):
        raise Conflict("label_exists", f"A label named {name!r} exists")
    uow.taxonomy.add_label(actor.account_id, name)
    events.record(uow, actor, "label.created", now_ms(), name=name)
    return name


def rename_label(uow: TicketsUnit, actor: Actor, name: str, new_name: str) -> int:
    """Labels are words on tickets, so a rename rewrites every ticket carrying it, in this
    one unit of work. Renaming onto another existing label is refused rather than merged:
    a merge cannot be undone by renaming back. Returns the number of tickets changed."""
    _require_admin(actor)
    _existing_label(uow, actor, name)
    new_name = clean_name(new_name, limit=MAX_NAME)
    if new_name == name:
        return 0
    if uow.taxonomy.has_label(actor.account_id, new_name):
        raise Conflict("label_exists", f"A label named {new_name!r} exists")
    now = now_ms()
    changed = uow.taxonomy.rename_label(actor.account_id, name, new_name, now)
    events.record(uow, actor, "label.renamed", now, name=new_name, previous=name, tickets=changed)
    return changed


def remove_label(uow: TicketsUnit, actor: Actor, name: str) -> int:
    """Off every ticket and off the list; the tickets stay. The number of tickets changed."""
    _require_admin(actor)
    _existing_label(uow, actor, name)
    now = now_ms()
    changed = uow.taxonomy.remove_label(actor.account_id, name, now)
    events.record(uow, actor, "label.deleted", now, name=name, tickets=changed)
    return changed


def _existing_label(uow: TicketsUnit, actor: Actor, name: str) -> None:
    if not uow.taxonomy.has_label(actor.account_id, name):
        raise NotFound("label_not_found", f"No label named {name[:80]!r}")


def _require_admin(actor: Actor) -> None:
    # These change or count every ticket of the account, whoever is assigned to them.
    if not actor.can(Scope.ADMIN):
        raise Forbidden("missing_scope", "Only owners and admins manage the account's labels")
