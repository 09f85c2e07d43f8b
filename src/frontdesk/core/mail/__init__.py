"""The e-mail channel's records: IMAP mailboxes, receipts of inbound mail, the outbox.

`outbox` queues outgoing mail; `submissions` and `replies` are the ways a ticket is
written as if by mail.
"""

from frontdesk.core.mail._receiving import (
    RECEIPT_STATUSES,
    ImapFields,
    discard_receipt,
    file_receipt,
    get_imap,
    get_receipt,
    list_receipts,
    record_poll,
    record_receipt,
    remove_imap,
    set_imap,
)
from frontdesk.core.mail._sending import (
    OAuthFields,
    RelayFields,
    access_due,
    get_oauth,
    get_relay,
    oauth_failed,
    oauth_refreshed,
    remove_oauth,
    remove_relay,
    set_oauth,
    set_relay,
)

__all__ = [
    "RECEIPT_STATUSES",
    "ImapFields",
    "OAuthFields",
    "RelayFields",
    "access_due",
    "discard_receipt",
    "file_receipt",
    "get_imap",
    "get_oauth",
    "get_receipt",
    "get_relay",
    "list_receipts",
    "oauth_failed",
    "oauth_refreshed",
    "record_poll",
    "record_receipt",
    "remove_imap",
    "remove_oauth",
    "remove_relay",
    "set_imap",
    "set_oauth",
    "set_relay",
]
