"""The IMAP poller: imports each enabled inbox's unseen mail.

A mail is marked \\Seen only after its ticket committed; if the poller dies in between, the
next poll fetches it again and the receipt's unique Message-ID makes that a no-op. A mail
that cannot become a ticket is quarantined (kept, visible to admins) and marked seen, so
the poller keeps going past it. A database failure stops the round with nothing marked.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core import mail
from frontdesk.core.mail.records import ImapSettings
from frontdesk.mail.inbound import IMAP, Inbound
from frontdesk.services.fetch import Resolver, permitted, resolve
from frontdesk.services.sealing import IMAP_LOGIN, unseal

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
MAX_PER_POLL = 500  # one round imports at most this many mails per inbox
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class PollResult:
    imported: int
    skipped: int  # too large: left unseen, named in last_error


class ImapPoller:
    def __init__(self, inbound: Inbound, *, resolver: Resolver = resolve) -> None:
        self.inbound = inbound
        self.resolver = resolver

    def poll_all(self) -> int:
        """One round over every enabled inbox; errors are recorded per inbox."""
        with self.inbound.store.read() as uow:
            configured = uow.mail.list_enabled_imap()
        total = 0
        for settings in configured:
            total += self.poll_recording(settings)
        return total

    def poll_recording(self, settings: ImapSettings) -> int:
        error: str | None = None
        imported = 0
        try:
            result = self.poll(settings)
            imported = result.imported
            if result.skipped:
                error = f"{result.skipped} mail(s) over the size limit left unread"
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("IMAP poll of inbox %s failed: %s", settings.inbox_id, error)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.exception("IMAP poll of inbox %s failed", settings.inbox_id)
        with self.inbound.store.write() as uow:
            mail.record_poll(uow, settings.inbox_id, error)
        return imported

    def poll(self, settings: ImapSettings) -> PollResult:
        with self.inbound.store.read() as uow:
            inbox = uow.accounts.get_inbox(settings.account_id, settings.inbox_id)
        if inbox is None:
            return PollResult(0, 0)
        conn = _connect(
            settings,
            allow_private=self.inbound.settings.allow_private_fetch,
            resolver=self.resolver,
        )
        try:
            secret = self.inbound.settings.secret_key
            conn.login(settings.username, unseal(settings.password, secret, IMAP_LOGIN))
            _ok(conn.select(_quoted(settings.folder)))
            _typ, data = conn.uid("SEARCH", "UNSEEN")
            uids = [uid.decode("ascii") for uid in (data[0] or b"").split()[:MAX_PER_POLL]]
            imported = skipped = 0
            # The first poll of a mailbox finds its backlog: imported, with no auto reply
            # to every old sender (later polls skip mail older than a day by its Date).
            first = settings.last_polled is None
            for uid in uids:
                if self._too_large(conn, uid):
                    skipped += 1
                    continue
                raw = _fetch(conn, uid)
                if raw is None:
                    continue
                self.inbound.deliver(raw, [inbox.email], source=IMAP, backlog=first)
                _ok(conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
                imported += 1
            return PollResult(imported, skipped)
        finally:
            _close(conn)

    def _too_large(self, conn: imaplib.IMAP4, uid: str) -> bool:
        _typ, data = conn.uid("FETCH", uid, "(RFC822.SIZE)")
        for item in data:
            text = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(text or b"")
            if match:
                return int(match.group(1)) > self.inbound.settings.max_mail_bytes
        return False


def _connect(
    settings: ImapSettings, *, allow_private: bool, resolver: Resolver = resolve
) -> imaplib.IMAP4:
    # An account admin names the host: like URL fetches, private and local networks are
    # off limits unless the operator allows them (FRONTDESK_ALLOW_PRIVATE_FETCH). The
    # connection goes to the address that was checked, never to a second resolution of
    # the name (which a rebinding DNS server could answer with a private address); TLS
    # still checks the certificate against the name.
    addresses = resolver(settings.host, settings.port)
    if not addresses or not all(permitted(a, allow_private=allow_private) for a in addresses):
        raise imaplib.IMAP4.error(f"{settings.host} is on a private or local network")
    if settings.tls:
        context = ssl.create_default_context()
        return _PinnedImapTls(settings.host, settings.port, addresses[0], context)
    return _PinnedImap(settings.host, settings.port, addresses[0])


class _PinnedImap(imaplib.IMAP4):
    """IMAP over a connection to one checked address, the name kept for the protocol."""

    def __init__(self, host: str, port: int, address: str) -> None:
        self.address = address
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self.address, self.port), timeout)


class _PinnedImapTls(imaplib.IMAP4_SSL):
    """IMAP over TLS to one checked address; SNI and the certificate check use the name."""

    def __init__(self, host: str, port: int, address: str, context: ssl.SSLContext) -> None:
        self.address = address
        super().__init__(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        raw = socket.create_connection((self.address, self.port), timeout)
        wrapped: ssl.SSLSocket = self.ssl_context.wrap_socket(raw, server_hostname=self.host)
        return wrapped


def _fetch(conn: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK leaves \Seen alone: the flag is set only once the ticket committed.
    _typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _ok(answer: tuple[str, Sequence[object]]) -> None:
    if answer[0] != "OK":
        raise imaplib.IMAP4.error(f"IMAP said {answer[0]}: {answer[1]!r}"[:500])


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except Exception:  # the connection is going away anyway
        log.debug("IMAP logout failed", exc_info=True)
