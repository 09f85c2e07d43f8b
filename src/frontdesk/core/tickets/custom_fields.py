"""Custom field definitions: a name, a type and, for a dropdown, its options.

Renaming and removing a field are the taxonomy's (`rename_named`, `delete_named` with the
kind "custom_field"); adding one and changing its type or options are here, because the
values tickets hold already must fit what the field becomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import clean_name
from frontdesk.core.tickets.field_types import checked_options, normalised
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import CustomField, FieldType

KIND = "custom_field"
SHOWN_MISFITS = 5  # values named in a refusal; the rest are counted


def list_fields(uow: TicketsUnit, actor: Actor) -> list[CustomField]:
    return uow.taxonomy.list_fields(actor.account_id)


def get_field(uow: TicketsUnit, actor: Actor, row_id: int, *, lock: bool = False) -> CustomField:
    found = uow.taxonomy.get_field(actor.account_id, row_id, lock=lock)
    if found is None:
        raise NotFound("custom_field_not_found", f"No custom field {row_id}")
    return found


def create_field(
    uow: TicketsUnit,
    actor: Actor,
    name: str,
    field_type: FieldType = FieldType.TEXT,
    options: Sequence[str] = (),
) -> CustomField:
    name = clean_name(name)
    options = checked_options(field_type, options)
    exists = Conflict("custom_field_exists", f"A custom field named {name!r} exists")
    if uow.taxonomy.find_field(actor.account_id, name) is not None:
        raise exists
    now = now_ms()
    created = uow.taxonomy.insert_field(actor.account_id, name, field_type, options, now)
    if created is None:  # created a moment ago by a concurrent writer
        raise exists
    events.record(
        uow, actor, f"{KIND}.created", now,
        id=created.id, name=name, type=field_type.value, options=list(options),
    )  # fmt: skip
    return created


def change_field(
    uow: TicketsUnit,
    actor: Actor,
    row_id: int,
    field_type: FieldType | None = None,
    options: Sequence[str] | None = None,
) -> CustomField:
    """Give a field another type or other options (None keeps the type; None keeps the
    options while it stays a dropdown). The values tickets hold must fit: an option still
    in use cannot be dropped, nor a type chosen that a value does not fit (Conflict,
    naming them). Values that fit in another spelling ("1.50" becoming a number, "gold"
    a dropdown's "Gold") are rewritten into it."""
    # Locked: values written meanwhile are checked against the definition before or after
    # this change, never against the one it replaces (write_fields takes a shared lock).
    current = get_field(uow, actor, row_id, lock=True)
    field_type = current.type if field_type is None else field_type
    if options is None:
        options = current.options if field_type is FieldType.DROPDOWN else ()
    changed = replace(current, type=field_type, options=checked_options(field_type, options))
    if changed == current:
        return current
    rewrites = _rewrites(uow, current, changed)
    now = now_ms()
    uow.taxonomy.change_field(current.id, changed.type, changed.options, rewrites, now)
    events.record(
        uow, actor, f"{KIND}.changed", now,
        id=current.id, type=changed.type.value, options=list(changed.options),
        rewritten=len(rewrites),
    )  # fmt: skip
    return changed


def _rewrites(uow: TicketsUnit, current: CustomField, changed: CustomField) -> dict[str, str]:
    """Each stored value whose normal form under `changed` differs, with that form."""
    rewrites: dict[str, str] = {}
    misfits: list[str] = []
    for value in uow.taxonomy.field_values(current.id):
        try:
            fitted = normalised(changed, value)
        except Invalid:
            misfits.append(value)
            continue
        if fitted != value:
            rewrites[value] = fitted
    if misfits:
        raise _misfit_error(current, changed, sorted(misfits))
    return rewrites


class ValuesDoNotFit(Conflict):
    """A change refused because tickets hold values it would not keep; `shown` are the
    first few of them, for a screen to name."""

    def __init__(self, code: str, message: str, *, field: str, shown: Sequence[str]) -> None:
        super().__init__(code, message, field=field)
        self.shown = tuple(shown)


def _misfit_error(current: CustomField, changed: CustomField, misfits: list[str]) -> Conflict:
    shown = [value[:40] for value in misfits[:SHOWN_MISFITS]]
    more = len(misfits) - SHOWN_MISFITS
    listed = ", ".join(map(repr, shown)) + (f" and {more} more" if more > 0 else "")
    if current.type is changed.type:  # a dropdown losing options
        return ValuesDoNotFit(
            "field_option_in_use",
            f"Tickets hold {listed} in {current.name[:80]}: change those tickets first",
            field="options",
            shown=shown,
        )
    return ValuesDoNotFit(
        "field_values_do_not_fit",
        f"Tickets hold {listed} in {current.name[:80]}, which a {changed.type.value} "
        "field does not take: change those tickets first",
        field="type",
        shown=shown,
    )
