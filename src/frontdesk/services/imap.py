"""IMAP connections to the mailbox an admin named: the poller's (frontdesk.mail.imap) and
the settings screen's "test connection" (`check`), both through `connect`.

An account admin names the host, so the address is checked like a URL fetch's and the
connection is pinned to it (services.fetch).
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.core.mail.records import OAUTH2, ImapSettings
from frontdesk.services.fetch import Resolver, permitted, resolve
from frontdesk.services.oauth import OAuthFailed, TokenSource
from frontdesk.services.sealing import IMAP_LOGIN, unseal

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
CHECK_TIMEOUT_SECONDS = 10.0  # a person waits for the answer


@dataclass(frozen=True)
class Check:
    """What a test of the stored mailbox found: `said` is the server's own words, or
    what stopped the attempt before the server could answer."""

    ok: bool
    step: str  # connect | login | folder | done
    said: str


def sign_in(
    conn: imaplib.IMAP4,
    settings: ImapSettings,
    secret_key: str,
    tokens: TokenSource,
    *,
    refresh: bool = False,
) -> tuple[str, list[object]]:
    """Sign in as the inbox's mailbox says: its sealed password, or XOAUTH2 with an access
    token (`refresh`: a new one, after the server refused the one held). The server's
    answer; imaplib.IMAP4.error or OAuthFailed when refused."""
    if settings.auth != OAUTH2:
        password = unseal(settings.password, secret_key, IMAP_LOGIN)
        typ, data = conn.login(settings.username, password)
        return typ, list(data)
    token = tokens.access_token(settings.inbox_id, refresh=refresh)
    return _xoauth2(conn, settings.username, token)


def _xoauth2(conn: imaplib.IMAP4, username: str, token: str) -> tuple[str, list[object]]:
    """SASL XOAUTH2 (Google's and Microsoft's): the user and the bearer token in one
    initial response; a refusal comes as a JSON challenge, answered empty (then NO)."""
    initial = f"user={username}\x01auth=Bearer {token}\x01\x01".encode()
    sent: list[bool] = []

    def respond(_challenge: bytes) -> bytes:
        if sent:
            return b""
        sent.append(True)
        return initial

    said, data = conn.authenticate("XOAUTH2", respond)
    return said, list(data)


def check(
    settings: ImapSettings,
    secret_key: str,
    tokens: TokenSource,
    *,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> Check:
    """Connect, sign in and open the folder, as the poller would; report each step."""
    step = "connect"
    try:
        conn = connect(settings, allow_private=allow_private, resolver=resolver,
                       timeout=CHECK_TIMEOUT_SECONDS)  # fmt: skip
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        return Check(False, step, _words(exc))
    try:
        step = "login"
        answer = sign_in(conn, settings, secret_key, tokens)
        step = "folder"
        selected = conn.select(quoted(settings.folder), readonly=True)
        ok(selected)
        count = (selected[1][0] or b"0").decode("ascii", "replace")
        said = f"{_text(answer[1])} {settings.folder}: {count} message(s)".strip()
        return Check(True, "done", said[:500])
    except (OSError, imaplib.IMAP4.error, ssl.SSLError, OAuthFailed) as exc:
        return Check(False, step, _words(exc))
    finally:
        close(conn)


def _words(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return (text or type(exc).__name__)[:500]


def _text(items: Sequence[object]) -> str:
    return " ".join(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in items
    )


def connect(
    settings: ImapSettings,
    *,
    allow_private: bool,
    resolver: Resolver = resolve,
    timeout: float = TIMEOUT_SECONDS,
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
        return _PinnedImapTls(settings.host, settings.port, addresses[0], context, timeout)
    return _PinnedImap(settings.host, settings.port, addresses[0], timeout)


class _PinnedImap(imaplib.IMAP4):
    """IMAP over a connection to one checked address, the name kept for the protocol."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.address = address
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self.address, self.port), timeout)


class _PinnedImapTls(imaplib.IMAP4_SSL):
    """IMAP over TLS to one checked address; SNI and the certificate check use the name."""

    def __init__(
        self, host: str, port: int, address: str, context: ssl.SSLContext, timeout: float
    ) -> None:
        self.address = address
        super().__init__(host, port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        raw = socket.create_connection((self.address, self.port), timeout)
        wrapped: ssl.SSLSocket = self.ssl_context.wrap_socket(raw, server_hostname=self.host)
        return wrapped


def ok(answer: tuple[str, Sequence[object]]) -> None:
    if answer[0] != "OK":
        raise imaplib.IMAP4.error(f"IMAP said {answer[0]}: {answer[1]!r}"[:500])


def quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except Exception:  # the connection is going away anyway
        log.debug("IMAP logout failed", exc_info=True)
