"""The event types a webhook can subscribe to, by area, as an admin picks them from a list.

Every recorded event is deliverable; this is the list the settings screen offers, the
types docs/webhooks.md's table names (tests/unit/test_webhook_types_documented.py holds
the two together, and checks that the code records each type). A webhook may still carry
a type the list lacks (the native API takes any well-formed type): the screen keeps it as
it is.
"""

from __future__ import annotations

# (area, the area's types). `area.*` also covers types recorded in the future.
DELIVERABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ticket", (
        "opened", "status_changed", "assigned", "labels_set", "tags_set", "fields_set",
        "notes_set", "priority_set", "subject_set", "linked", "merged", "split", "archived",
        "unarchived", "read_by_client", "read", "mentioned", "sla_warning", "sla_breached",
    )),
    ("message", ("added",)),
    ("attachment", ("uploaded", "deleted")),
    ("contact", ("created", "updated", "merged", "erased")),
    ("chat", (
        "opened", "message", "changed", "transferred", "visitor", "verified", "contact_set",
        "page_filter",
    )),
    ("csat", ("queued", "rated", "commented", "withdrawn")),
    ("mail", ("queued", "sent", "failed", "unknown")),
    ("draft", ("saved", "discarded")),
    ("inbox", ("created", "updated", "deleted")),
    ("agent", ("created", "updated", "deactivated", "reactivated")),  # never deleted
    ("credential", ("issued", "revoked")),
    ("webhook", ("created", "updated", "deleted", "disabled", "redelivery")),
)  # fmt: skip


def known_types() -> set[str]:
    """Every choice the list offers: `*`, each `area.*` and each type."""
    known = {"*"}
    for area, kinds in DELIVERABLE:
        known.add(f"{area}.*")
        known.update(f"{area}.{kind}" for kind in kinds)
    return known
