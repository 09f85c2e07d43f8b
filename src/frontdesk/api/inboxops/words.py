"""InboxOps status and priority words, both ways. Pure; tested in test_words.py.

| core status   | InboxOps word |
|---------------|---------------|
| new, reply    | `open`        |
| pending       | `pending`     |
| on-hold       | `on_hold`     |
| solved        | `solved`      |
| closed        | `closed`      |

`toStatus: "open"` asks for `reply` (awaiting an agent) unless the ticket is open already.
"""

from __future__ import annotations

from collections.abc import Mapping

from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.records import Priority, Status

OPEN = "open"

STATUSES_OF: Mapping[str, frozenset[Status]] = {
    OPEN: frozenset({Status.NEW, Status.REPLY}),
    "pending": frozenset({Status.PENDING}),
    "on_hold": frozenset({Status.ON_HOLD}),
    "solved": frozenset({Status.SOLVED}),
    "closed": frozenset({Status.CLOSED}),
}
WORD_OF: Mapping[Status, str] = {
    status: word for word, statuses in STATUSES_OF.items() for status in statuses
}
# The status each word asks for in a transition.
TARGET_OF: Mapping[str, Status] = {
    word: Status.REPLY if word == OPEN else next(iter(statuses))
    for word, statuses in STATUSES_OF.items()
}
PRIORITIES = tuple(priority.value for priority in Priority)


def status_word(status: Status) -> str:
    return WORD_OF[status]


def statuses(word: str, field: str = "status") -> frozenset[Status]:
    found = STATUSES_OF.get(word.strip().lower())
    if found is None:
        raise Invalid(
            "invalid_status",
            f"{field} must be one of {', '.join(STATUSES_OF)}; got {word[:40]!r}",
            field=field,
        )
    return found


def priority(word: str, field: str = "priority") -> Priority:
    try:
        return Priority(word.strip().lower())
    except ValueError:
        raise Invalid(
            "invalid_priority",
            f"{field} must be one of {', '.join(PRIORITIES)}; got {word[:40]!r}",
            field=field,
        ) from None
