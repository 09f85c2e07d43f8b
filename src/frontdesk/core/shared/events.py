"""Event kinds, recorded by the core in the transaction that caused them."""

from __future__ import annotations

from frontdesk.core.shared.ports import EventsUnit
from frontdesk.core.shared.records import Actor, Event

TICKET_OPENED = "ticket.opened"
MESSAGE_ADDED = "message.added"
STATUS_CHANGED = "ticket.status_changed"
ASSIGNED = "ticket.assigned"
LABELS_SET = "ticket.labels_set"
TAGS_SET = "ticket.tags_set"
FIELDS_SET = "ticket.fields_set"
NOTES_SET = "ticket.notes_set"
PRIORITY_SET = "ticket.priority_set"
LINKED = "ticket.linked"
MERGED = "ticket.merged"
SPLIT = "ticket.split"
ARCHIVED = "ticket.archived"
UNARCHIVED = "ticket.unarchived"
READ_BY_CLIENT = "ticket.read_by_client"
ATTACHMENT_UPLOADED = "attachment.uploaded"
ATTACHMENT_DELETED = "attachment.deleted"
SETTINGS_CHANGED = "account.settings_changed"
CREDENTIAL_ISSUED = "credential.issued"
CREDENTIAL_REVOKED = "credential.revoked"


def record(
    uow: EventsUnit,
    actor: Actor,
    kind: str,
    now: int,
    /,
    *,
    ticket_id: int | None = None,
    **data: object,
) -> None:
    uow.events.record_event(
        Event(
            account_id=actor.account_id,
            kind=kind,
            actor=actor.label,
            ticket_id=ticket_id,
            data=data,
            agent_id=actor.agent_id,
        ),
        now,
    )
