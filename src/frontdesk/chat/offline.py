"""The widget's offline form: a message left while no agent is online becomes a ticket in
the account's chosen inbox, with that inbox's usual auto reply (docs/chat.md).

Chat and mail are separate areas of the core that do not know each other; this transport
joins them in one transaction: the chat's checks and its note in the transcript, and the
mail area's submission (the same path as ImBox insertTicket), so the ticket, its auto
reply and the note commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frontdesk.chat import protocol as p
from frontdesk.core import chat
from frontdesk.core.chat.records import Conversation
from frontdesk.core.mail import submissions
from frontdesk.core.shared.errors import Conflict
from frontdesk.core.shared.records import Actor
from frontdesk.services import Services

SUBJECT = "Chat message from {name}"


def leave_message(
    services: Services,
    actor: Actor,
    public_id: str,
    frame: dict[str, Any],
    admit: Callable[[Conversation], None],
) -> dict[str, Any]:
    """The `ack` for an `offline` frame: the ticket's number. Sent again with the same
    `ref` (a resend after a reconnect), it answers the same ticket and writes nothing."""
    form = chat.offline_form(
        p.text(frame, "name") or "", p.text(frame, "email") or "", p.text(frame, "message") or ""
    )
    ref = p.ref_of(frame)
    client_ref = ref if isinstance(ref, str) else None
    with services.store.write() as uow:
        known = chat.offline_ticket_by_ref(uow, actor, public_id, client_ref)
        if known is None:
            # The same flood limits and browser proof as a chat entering the queue.
            admit(chat.get_conversation(uow, actor, public_id))
            inbox = chat.offline_inbox(uow, actor.account_id)
            if inbox is None:
                raise Conflict("no_inbox", "This account has no inbox for offline messages")
            done = submissions.submit(
                uow,
                services.blobs,
                actor,
                submissions.Submission(
                    from_email=form.email,
                    to_email=inbox.email,
                    subject=SUBJECT.format(name=form.name)[:200],
                    body_text=form.message,
                    from_name=form.name,
                    append_to_open=False,
                ),
                file_limit=services.settings.max_attachment_bytes,
            )
            known = done.opened.ticket.id
            chat.offline_message_left(uow, actor, public_id, known, client_ref)
    return {"type": "ack", "ticket": known}
