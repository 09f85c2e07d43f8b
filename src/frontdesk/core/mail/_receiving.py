"""What an admin sets up and sees of the mail channel: IMAP mailboxes and inbound receipts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from frontdesk.core.identity.accounts import get_inbox, require_admin
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import (
    BOUNCE,
    DISCARDED,
    OAUTH2,
    PASSWORD,
    QUARANTINED,
    RECEIVED,
    ImapSettings,
    MailReceipt,
)
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets.listing import MAX_PAGE

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


RECEIPT_STATUSES = (RECEIVED, QUARANTINED, BOUNCE, DISCARDED)


@dataclass(frozen=True)
class ImapFields:
    host: str
    port: int
    tls: bool
    username: str
    folder: str = "INBOX"
    enabled: bool = True
    password: str | None = field(default=None, repr=False)  # None keeps the stored one
    auth: str = PASSWORD  # or OAUTH2: XOAUTH2 with the inbox's OAuth grant, no password


def plain_value(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise Invalid("required", f"{what} must not be empty", field=what)
    if len(value) > limit or _CONTROL.search(value):
        raise Invalid("invalid_value", f"{what} is too long or has control characters", field=what)
    return value


def server_address(host: str, port: int) -> str:
    """The host name of a mail server an admin names, checked; the port in range."""
    host = plain_value(host, "host", 255)
    if not _HOST.match(host):
        raise Invalid("invalid_host", "host is not a host name or address", field="host")
    if not 1 <= port <= 65535:
        raise Invalid("invalid_port", "port must be between 1 and 65535", field="port")
    return host


def set_imap(
    uow: MailUnit,
    actor: Actor,
    inbox_id: int,
    fields: ImapFields,
    *,
    seal: Callable[[str], str],
) -> ImapSettings:
    """Store an inbox's IMAP mailbox; `seal` encrypts a new password before it is stored."""
    inbox = get_inbox(uow, actor, inbox_id)
    host = server_address(fields.host, fields.port)
    if fields.auth not in (PASSWORD, OAUTH2):
        raise Invalid("invalid_auth", f"auth is {PASSWORD} or {OAUTH2}", field="auth")
    known = uow.mail.get_imap(actor.account_id, inbox.id)
    password = _imap_password(fields, known, seal)
    now = now_ms()
    saved = uow.mail.put_imap(
        {
            "inbox_id": inbox.id,
            "account_id": actor.account_id,
            "host": host,
            "port": fields.port,
            "tls": fields.tls,
            "username": plain_value(fields.username, "username", 320),
            "password": password,
            "folder": plain_value(fields.folder, "folder", 200),
            "enabled": fields.enabled,
            "auth": fields.auth,
            "last_error": None,
            "created": now,
            "updated": now,
        }
    )
    events.record(uow, actor, "inbox.imap_set", now, inbox_id=inbox.id, host=host)
    return saved


def _imap_password(
    fields: ImapFields, known: ImapSettings | None, seal: Callable[[str], str]
) -> str:
    """The sealed password to store: a new one, else the stored one; none for OAuth."""
    if fields.auth == OAUTH2:
        return "" if fields.password is None else seal_password(fields.password, seal)
    if fields.password is not None:
        return seal_password(fields.password, seal)
    if known is None or not known.password:
        raise Invalid("required", "password must be given", field="password")
    return known.password


def seal_password(
    password: str, seal: Callable[[str], str], what: str = "password", limit: int = 1000
) -> str:
    if len(password) > limit or "\x00" in password:
        raise Invalid("invalid_value", f"{what} is too long", field=what)
    return seal(password)


def get_imap(uow: MailUnit, actor: Actor, inbox_id: int) -> ImapSettings:
    inbox = get_inbox(uow, actor, inbox_id)
    found = uow.mail.get_imap(actor.account_id, inbox.id)
    if found is None:
        raise NotFound("imap_not_found", f"Inbox {inbox.id} has no IMAP mailbox")
    return found


def remove_imap(uow: MailUnit, actor: Actor, inbox_id: int) -> None:
    found = get_imap(uow, actor, inbox_id)
    uow.mail.delete_imap(found.inbox_id)
    events.record(uow, actor, "inbox.imap_removed", now_ms(), inbox_id=found.inbox_id)


def list_receipts(
    uow: MailUnit, actor: Actor, status: str | None, *, after_id: int, limit: int
) -> list[MailReceipt]:
    if status is not None and status not in RECEIPT_STATUSES:
        raise Invalid("invalid_status", f"status is one of {', '.join(RECEIPT_STATUSES)}")
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid("invalid_limit", f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return uow.mail.list_receipts(actor.account_id, status, after_id=after_id, limit=limit)


def get_receipt(uow: MailUnit, actor: Actor, receipt_id: int) -> MailReceipt:
    found = uow.mail.get_receipt(actor.account_id, receipt_id)
    if found is None:
        raise NotFound("receipt_not_found", f"No mail receipt {receipt_id}")
    return found


def discard_receipt(uow: MailUnit, actor: Actor, receipt_id: int) -> MailReceipt:
    """An admin sets a quarantined mail aside: it leaves the quarantine, and its receipt and
    raw bytes stay, so the same mail arriving again is still a no-op and nothing is lost."""
    require_admin(actor)
    found = get_receipt(uow, actor, receipt_id)
    if found.status != QUARANTINED:
        raise Conflict("not_quarantined", f"Mail receipt {receipt_id} is not quarantined")
    uow.mail.update_receipt(found.id, {"status": DISCARDED})
    events.record(uow, actor, "mail.discarded", now_ms(), receipt_id=found.id)
    return replace(found, status=DISCARDED)


def record_receipt(uow: MailUnit, values: Mapping[str, object]) -> int | None:
    """Keep the receipt of one inbound mail; None when this account already received it
    (its mail key exists): redelivery and a second import are no-ops."""
    return uow.mail.insert_receipt(values)


def file_receipt(
    uow: MailUnit,
    receipt_id: int,
    *,
    ticket_id: int,
    message_id: int | None = None,
    note: str | None = None,
) -> None:
    """Point a receipt at the ticket (and message) its mail became or already was on."""
    uow.mail.update_receipt(
        receipt_id, {"ticket_id": ticket_id, "message_id": message_id, "error": note}
    )


def record_poll(uow: MailUnit, inbox_id: int, error: str | None) -> None:
    """Stamp an IMAP mailbox's last poll and its outcome (None: it went well)."""
    uow.mail.update_imap(inbox_id, {"last_polled": now_ms(), "last_error": error})
