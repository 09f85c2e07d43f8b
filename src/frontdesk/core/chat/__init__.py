"""Live chat: conversations, their messages and everything set on a visitor.

Every change is a named function that records an event in its transaction; the chat hub
hears the events after commit and pushes them to the websockets. Functions that change a
conversation lock its row first (take_seq or a locking read), so on PostgreSQL two
writers to one conversation take turns and message ids follow commit order within it:
a client that resumes "after id N" can never miss a message that committed later with a
smaller id.

Sender rules (as the ImBox transcript prints them): agent messages carry the agent id,
visitor messages agent id 0, system events (visitorJoin, agentJoin, ...) null, with the
event as JSON text in the body.
"""

from frontdesk.core.chat._agent import (
    CHAT_TRANSFERRED,
    agent_reply,
    close,
    join,
    set_labels,
    set_tags,
    transfer,
)
from frontdesk.core.chat._base import (
    CHAT_CHANGED,
    MAX_TAGS,
    MAX_TEXT,
    MESSAGE_POSTED,
    PAGE_FILTER_CHANGED,
    VISITOR_CHANGED,
    get_conversation,
    list_chats,
    message_payload,
    messages_after,
    new_public_id,
    page_url,
    sender_number,
    transcript,
    visitor_actor,
    visitor_cards,
    visitor_labels,
    visitor_tags,
)
from frontdesk.core.chat._page_filters import (
    create_page_filter,
    delete_page_filter,
    known_page_filters,
    list_page_filters,
    page_filters,
)
from frontdesk.core.chat._visitor import (
    Opened,
    add_label,
    add_tag,
    change_name,
    insert_card,
    open_conversation,
    post_visitor_message,
    prove_browser,
    rate,
    resume_conversation,
    visit,
)

__all__ = [
    "CHAT_CHANGED",
    "CHAT_TRANSFERRED",
    "MAX_TAGS",
    "MAX_TEXT",
    "MESSAGE_POSTED",
    "PAGE_FILTER_CHANGED",
    "VISITOR_CHANGED",
    "Opened",
    "add_label",
    "add_tag",
    "agent_reply",
    "change_name",
    "close",
    "create_page_filter",
    "delete_page_filter",
    "get_conversation",
    "insert_card",
    "join",
    "known_page_filters",
    "list_chats",
    "list_page_filters",
    "message_payload",
    "messages_after",
    "new_public_id",
    "open_conversation",
    "page_filters",
    "page_url",
    "post_visitor_message",
    "prove_browser",
    "rate",
    "resume_conversation",
    "sender_number",
    "set_labels",
    "set_tags",
    "transcript",
    "transfer",
    "visit",
    "visitor_actor",
    "visitor_cards",
    "visitor_labels",
    "visitor_tags",
]
