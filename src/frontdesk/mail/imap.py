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
import ssl
from dataclasses import dataclass

from frontdesk.core import mail
from frontdesk.core.mail.records import OAUTH2, ImapSettings
from frontdesk.mail.inbound import IMAP, Inbound
from frontdesk.services import imap
from frontdesk.services.fetch import Resolver, resolve
from frontdesk.services.oauth import OAuthFailed, TokenSource

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
MAX_PER_POLL = 500  # one round imports at most this many mails per inbox
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class PollResult:
    imported: int
    skipped: int  # too large: left unseen, named in last_error


class ImapPoller:
    def __init__(
        self, inbound: Inbound, *, resolver: Resolver = resolve, tokens: TokenSource | None = None
    ) -> None:
        self.inbound = inbound
        self.resolver = resolver
        self.tokens = tokens or TokenSource(inbound.store, inbound.settings, resolver=resolver)

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
        except (OSError, imaplib.IMAP4.error, ssl.SSLError, OAuthFailed) as exc:
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
        conn = self._logged_in(settings)
        try:
            imap.ok(conn.select(imap.quoted(settings.folder)))
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
                imap.ok(conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
                imported += 1
            return PollResult(imported, skipped)
        finally:
            imap.close(conn)

    def _connect(self, settings: ImapSettings) -> imaplib.IMAP4:
        return imap.connect(
            settings,
            allow_private=self.inbound.settings.allow_private_fetch,
            resolver=self.resolver,
        )

    def _logged_in(self, settings: ImapSettings) -> imaplib.IMAP4:
        conn = self._connect(settings)
        secret = self.inbound.settings.secret_key
        try:
            try:
                imap.sign_in(conn, settings, secret, self.tokens)
                return conn
            except imaplib.IMAP4.error:
                if settings.auth != OAUTH2:
                    raise
                # Refused though we held it fresh (revoked, or ended early): one new token,
                # one more try on a new connection; a second refusal is the poll's error.
                imap.close(conn)
            conn = self._connect(settings)
            imap.sign_in(conn, settings, secret, self.tokens, refresh=True)
            return conn
        except BaseException:
            imap.close(conn)
            raise

    def _too_large(self, conn: imaplib.IMAP4, uid: str) -> bool:
        _typ, data = conn.uid("FETCH", uid, "(RFC822.SIZE)")
        for item in data:
            text = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(text or b"")
            if match:
                return int(match.group(1)) > self.inbound.settings.max_mail_bytes
        return False


def _fetch(conn: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK leaves \Seen alone: the flag is set only once the ticket committed.
    _typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None
