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
RULE_FIRED = "rule.fired"  # a trigger, time rule or macro ran on a ticket (core.rules)
RULE_NOTIFIED = "rule.notified"  # a rule's action asked to tell these agents (core.notify)
# An SLA clock's warning and breach (core.automation.service_levels; core.notify tells of them).
SLA_WARNING = "ticket.sla_warning"
SLA_BREACHED = "ticket.sla_breached"
# Bookkeeping kinds of other areas (core.tickets.queues / drafts, core.mail.outbox), named
# here so that QUIET can list them.
TICKET_READ = "ticket.read"
DRAFT_SAVED = "draft.saved"
DRAFT_DISCARDED = "draft.discarded"
MAIL_QUEUED = "mail.queued"
MAIL_SENT = "mail.sent"
# Events that change nothing a rule or an SLA clock looks at: an agent reading a ticket, a
# draft kept, the outbox's bookkeeping, and the rules' own records. Triggers do not run on
# them and the SLA hook skips them.
QUIET = frozenset({
    TICKET_READ, READ_BY_CLIENT, DRAFT_SAVED, DRAFT_DISCARDED, MAIL_QUEUED, MAIL_SENT,
    RULE_FIRED, RULE_NOTIFIED,
})  # fmt: skip


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
