"""The `object` of a webhook body: what the event is about, as this API shows it.

A ticket's events carry the ticket (without its thread), `message.added` the message,
`contact.created` the contact, a chat's events (`chat.opened`, `chat.message`,
`chat.changed`, ...) the conversation (without its transcript). Rendered when the
delivery is first attempted, so it is the object as it was then; an object since deleted,
or an event about something else, carries `null` (its `data` still says what happened).
"""

from __future__ import annotations

from frontdesk.api.native import translate as out
from frontdesk.api.native.chat import chat_detail
from frontdesk.core import chat, contacts, tickets
from frontdesk.core.automation.ports import AutomationUnit
from frontdesk.core.automation.records import FeedEvent
from frontdesk.core.shared.errors import DomainError
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.services.webhooks import Render


def renderer(base_url: str) -> Render:
    def render(uow: AutomationUnit, event: FeedEvent) -> object:
        actor = Actor(account_id=event.account_id, label="webhooks", scopes=ALL_SCOPES)
        try:
            return _render(uow, actor, event, base_url)
        except DomainError:
            return None

    return render


def _render(uow: AutomationUnit, actor: Actor, event: FeedEvent, base_url: str) -> object:
    if event.kind == "message.added" and event.ticket_id is not None:
        thread = tickets.load_thread(uow, actor, event.ticket_id)
        wanted = event.data.get("message_id")
        for message in thread.messages:
            if message.id == wanted:
                files = thread.attachments.get(message.id, [])
                return out.message(message, files, base_url).model_dump(mode="json")
        return None
    if event.ticket_id is not None:
        ticket = tickets.get_ticket(uow, actor, event.ticket_id)
        return out.ticket(ticket, tickets.details_of(uow, ticket)).model_dump(
            mode="json", exclude={"messages"}
        )
    if event.kind.startswith("chat."):
        return _conversation(uow, actor, event)
    contact_id = event.data.get("contact_id")
    if event.kind.startswith("contact.") and isinstance(contact_id, int):
        return out.contact(contacts.get_contact(uow, actor, contact_id)).model_dump(mode="json")
    return None


def _conversation(uow: AutomationUnit, actor: Actor, event: FeedEvent) -> object:
    """The chat an event names: by row id (most chat events) or by public id (a contact
    linked to it); events about no one chat (page filters, settings) carry `null`."""
    row_id, public_id = event.data.get("conversation"), event.data.get("conversation_id")
    if isinstance(row_id, int):
        record = chat.conversation_by_id(uow, actor, row_id)
    elif isinstance(public_id, str):
        record = chat.get_conversation(uow, actor, public_id)
    else:
        return None
    detail = chat_detail(uow, record, transcript=False)
    return detail.model_dump(mode="json", exclude={"messages"})
