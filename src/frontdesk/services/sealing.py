"""Secrets Frontdesk must give back to a third party (IMAP and relay passwords, OAuth
tokens), sealed at rest.

A stored API key is only ever compared, so a hash suffices; an IMAP password has to be
sent to the mail server, so it is encrypted instead (Fernet: AES-128-CBC with an HMAC),
with a key derived from the installation's secret key. A database dump or backup alone
then does not reveal the mailbox passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "fernet:"
IMAP_LOGIN = "imap-login"
RELAY_LOGIN = "relay-login"  # an inbox's own relay's password
OAUTH_GRANT = "oauth-grant"  # an inbox's OAuth client secret, refresh and access tokens


class SealBroken(Exception):
    """A sealed value that this secret key cannot open (the key changed, or tampering)."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    derived = hmac.new(secret_key.encode(), f"frontdesk:{purpose}".encode(), hashlib.sha256)
    return Fernet(base64.urlsafe_b64encode(derived.digest()))


def seal(value: str, secret_key: str, purpose: str) -> str:
    return PREFIX + _fernet(secret_key, purpose).encrypt(value.encode()).decode("ascii")


def sealer(secret_key: str, purpose: str) -> Callable[[str], str]:
    """`seal` for one purpose, as the core's setters take it (`seal=`)."""
    return lambda value: seal(value, secret_key, purpose)


def unseal(stored: str, secret_key: str, purpose: str) -> str:
    """The plain value; a value stored before sealing existed is returned as it is."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet(secret_key, purpose).decrypt(stored[len(PREFIX) :]).decode()
    except InvalidToken as exc:
        raise SealBroken(f"cannot open a sealed {purpose}: the secret key changed?") from exc
