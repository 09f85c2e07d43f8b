"""Tickets: every change is one named function that records its event.

This package's own modules (`threads`, `listing`, `search`, ...) cover what is done
with tickets beyond one ticket's life; the functions here are that life.
"""

from frontdesk.core.tickets._changes import (
    archive,
    assign,
    expect_version,
    link,
    mark_read_by_client,
    set_custom_fields,
    set_labels,
    set_notes,
    set_priority,
    set_status,
    set_subject,
    set_tags,
    unarchive,
)
from frontdesk.core.tickets._checks import (
    MAX_BODY,
    MAX_NAME,
    MAX_SUBJECT,
)
from frontdesk.core.tickets._lookup import (
    Thread,
    details_of,
    get_ticket,
    get_ticket_by_uuid,
    load_thread,
    visible,
)
from frontdesk.core.tickets._messages import (
    NewMessage,
    add_message,
    log,
    record_sent_mail,
)
from frontdesk.core.tickets._opening import (
    NewTicket,
    Opened,
    append,
    open_ticket,
    thread_of_opened,
)

__all__ = [
    "MAX_BODY",
    "MAX_NAME",
    "MAX_SUBJECT",
    "NewMessage",
    "NewTicket",
    "Opened",
    "Thread",
    "add_message",
    "append",
    "archive",
    "assign",
    "details_of",
    "expect_version",
    "get_ticket",
    "get_ticket_by_uuid",
    "link",
    "load_thread",
    "log",
    "mark_read_by_client",
    "open_ticket",
    "record_sent_mail",
    "set_custom_fields",
    "set_labels",
    "set_notes",
    "set_priority",
    "set_status",
    "set_subject",
    "set_tags",
    "thread_of_opened",
    "unarchive",
    "visible",
]
