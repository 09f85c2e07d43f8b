"""One change on many tickets at once, all or nothing, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.shared.records import MAX_ROW_ID, Actor
from frontdesk.core.tickets import threads
from frontdesk.core.tickets._checks import MAX_NAME, checked_text
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Status

MAX_TICKETS = 100


class BulkAction(StrEnum):
    ASSIGN = "assign"  # value: an agent id, or "" for nobody
    STATUS = "status"  # value: a status
    ADD_LABEL = "add_label"
    REMOVE_LABEL = "remove_label"
    MERGE = "merge"  # into the oldest of them; no value


def apply(
    uow: TicketsUnit, actor: Actor, ticket_ids: Sequence[int], action: BulkAction, value: str = ""
) -> int:
    """Apply `action` to every ticket; how many tickets it touched."""
    wanted = sorted(set(ticket_ids))
    if not wanted:
        raise Invalid("no_tickets", "Choose at least one ticket", field="ids")
    if len(wanted) > MAX_TICKETS or any(not 0 < i <= MAX_ROW_ID for i in wanted):
        raise Invalid("too_many", f"Choose at most {MAX_TICKETS} tickets", field="ids")
    if action is BulkAction.MERGE:
        if len(wanted) < 2:
            raise Invalid("merge_one", "Choose at least two tickets to merge", field="ids")
        for source_id in wanted[1:]:
            threads.merge(uow, actor, source_id, wanted[0])
        return len(wanted)
    for ticket_id in wanted:
        _one(uow, actor, ticket_id, action, value)
    return len(wanted)


def _one(uow: TicketsUnit, actor: Actor, ticket_id: int, action: BulkAction, value: str) -> None:
    if action is BulkAction.ASSIGN:
        agent_ids = [int(value)] if value.isdigit() else []
        if value and not agent_ids:
            raise Invalid("invalid_agent", "Choose an agent", field="value")
        tickets.assign(uow, actor, ticket_id, agent_ids)
    elif action is BulkAction.STATUS:
        try:
            status = Status(value)
        except ValueError:
            raise Invalid("invalid_status", "Choose a status", field="value") from None
        tickets.set_status(uow, actor, ticket_id, status)
    else:
        label = checked_text(value, "label", MAX_NAME, required=True)
        have = tickets.details_of(uow, tickets.get_ticket(uow, actor, ticket_id)).labels
        if action is BulkAction.ADD_LABEL and label not in have:
            tickets.set_labels(uow, actor, ticket_id, [*have, label])
        elif action is BulkAction.REMOVE_LABEL and label in have:
            tickets.set_labels(uow, actor, ticket_id, [name for name in have if name != label])
