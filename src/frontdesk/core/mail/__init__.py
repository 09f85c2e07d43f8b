"""The e-mail channel's records: IMAP mailboxes, receipts of inbound mail, the outbox.

`outbox` queues outgoing mail; `submissions` and `replies` are the ways a ticket is
written as if by mail.
"""

from frontdesk.core.mail._receiving import (
    RECEIPT_STATUSES,
    ImapFields,
    file_receipt,
    get_imap,
    get_receipt,
    list_receipts,
    record_poll,
    record_receipt,
    remove_imap,
    set_imap,
)

__all__ = [
    "RECEIPT_STATUSES",
    "ImapFields",
    "file_receipt",
    "get_imap",
    "get_receipt",
    "list_receipts",
    "record_poll",
    "record_receipt",
    "remove_imap",
    "set_imap",
]
