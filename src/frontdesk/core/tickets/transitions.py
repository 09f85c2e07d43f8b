"""Which status changes a client may ask for by name, and making one with its reason.

`tickets.set_status` moves a ticket anywhere (the system, imports and the older dialects
use it); an explicit transition request goes through this table instead. The rule of
thumb: work in progress moves freely, a solved ticket can only be closed or reopened, and
a closed one only reopened. Asking for the status a ticket already has changes nothing.

| from \\ to   | new | reply | pending | on-hold | solved | closed |
|-------------|-----|-------|---------|---------|--------|--------|
| new         | =   | yes   | yes     | yes     | yes    | yes    |
| reply       | -   | =     | yes     | yes     | yes    | yes    |
| pending     | -   | yes   | =       | yes     | yes    | yes    |
| on-hold     | -   | yes   | yes     | =       | yes    | yes    |
| solved      | -   | yes   | -       | -       | =      | yes    |
| closed      | -   | yes   | -       | -       | -      | =      |

Nothing goes back to `new` (someone has looked at the ticket by then); reopening means
`reply`, awaiting an agent. A merged ticket takes no transition at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Conflict
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Status, Ticket

_WORKING = frozenset({Status.REPLY, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED})

ALLOWED: Mapping[Status, frozenset[Status]] = {
    Status.NEW: _WORKING,
    Status.REPLY: _WORKING - {Status.REPLY},
    Status.PENDING: _WORKING - {Status.PENDING},
    Status.ON_HOLD: _WORKING - {Status.ON_HOLD},
    Status.SOLVED: frozenset({Status.REPLY, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.REPLY}),
}


def allowed(before: Status, after: Status) -> bool:
    return before is after or after in ALLOWED[before]


def transition(
    uow: TicketsUnit,
    actor: Actor,
    ticket_id: int,
    to: Status,
    *,
    reason: str | None = None,
    counts_as: frozenset[Status] = frozenset(),
) -> Ticket:
    """Move the ticket to `to` if the table allows it; the reason goes into its log line.

    A ticket in one of `counts_as` is already where the caller wants it (a dialect word
    such as "open" may stand for several statuses) and stays as it is.
    """
    # Locked before the check, so that the status checked is the status changed.
    ticket = tickets.get_ticket(uow, actor, ticket_id, lock=True)
    if ticket.status in counts_as:
        to = ticket.status
    if ticket.merged_into_id is None and not allowed(ticket.status, to):
        raise Conflict(
            "invalid_transition",
            f"A ticket cannot go from {ticket.status.value} to {to.value}",
        )
    return tickets.set_status(uow, actor, ticket.id, to, reason=reason or None)
