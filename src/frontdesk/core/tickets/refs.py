"""Public UUIDs to records, within the actor's account: an unknown or foreign one is a 404.

Dialects that name tickets, messages and attachments by UUID (InboxOps) resolve them here;
the core functions they call then work with row ids as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.core.shared.errors import NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import visible
from frontdesk.core.tickets.ports import TicketsUnit
from frontdesk.core.tickets.records import Attachment, Message, Ticket


def ticket(uow: TicketsUnit, actor: Actor, uuid: str, *, field: str | None = None) -> Ticket:
    """The ticket with this UUID; `field` names the input that gave it, for the error."""
    found = uow.tickets.get_ticket_by_uuid(actor.account_id, uuid)
    if found is None or not visible(found, actor):
        raise NotFound("ticket_not_found", f"No ticket {uuid[:40]}", field=field)
    return found


def messages(uow: TicketsUnit, actor: Actor, uuids: Sequence[str], *, field: str) -> list[Message]:
    """The messages named, in the order given (duplicates once); NotFound if any is unknown."""
    wanted = list(dict.fromkeys(uuids))
    found = {
        message.uuid: message for message in uow.tickets.messages_by_uuid(actor.account_id, wanted)
    }
    for uuid in wanted:
        if uuid not in found:
            raise NotFound("message_not_found", f"No message {uuid}", field=field)
    return [found[uuid] for uuid in wanted]


def attachments(
    uow: TicketsUnit, actor: Actor, uuids: Sequence[str], *, ticket_id: int, field: str | None
) -> list[Attachment]:
    """Attachments uploaded to this ticket; one of another ticket is as unknown as none."""
    wanted = list(dict.fromkeys(uuids))
    found = {a.uuid: a for a in uow.attachments.attachments_by_uuid(actor.account_id, wanted)}
    for uuid in wanted:
        attachment = found.get(uuid)
        if attachment is None or attachment.ticket_id != ticket_id:
            raise NotFound(
                "attachment_not_found", f"No attachment {uuid} on this ticket", field=field
            )
    return [found[uuid] for uuid in wanted]
