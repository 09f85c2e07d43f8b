"""CSRF tokens bound to a session, as pure functions the session layer plugs in.

A token is `<nonce>.<mac>`, where the MAC is an HMAC over the session id and a random
nonce, keyed by a key derived from the installation's secret. It needs no storage: the
server checks any token it issued for this session, and a token taken from another
session, or forged without the secret, fails. A fresh nonce per page makes every token
look different, so a compressed response does not leak it byte by byte (BREACH).

How the sign-in work uses it: render `issue(secret, session_id)` into the page's
`<meta name="csrf-token">` and into forms as the `csrf_token` field; on every request
whose method `needs_check`, refuse (403) unless `verify(secret, session_id,
submitted(headers, form))`. app.js sends the meta's token on htmx requests as
`X-CSRF-Token`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
NONCE_BYTES = 16
MAX_TOKEN_LENGTH = 128  # longer input is refused before any decoding
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PURPOSE = b"frontdesk:csrf"


def issue(secret_key: str, session_id: str, *, nonce: bytes | None = None) -> str:
    """A new token for the session; pass `nonce` only to make a test repeatable."""
    if not session_id:
        raise ValueError("a CSRF token needs a session to belong to")
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    return f"{_encode(nonce)}.{_encode(_mac(secret_key, session_id, nonce))}"


def verify(secret_key: str, session_id: str, token: str | None) -> bool:
    """Whether `token` was issued for this session with this secret (constant time)."""
    if not session_id or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    nonce_text, _, mac_text = token.partition(".")
    try:
        nonce, mac = _decode(nonce_text), _decode(mac_text)
    except (binascii.Error, ValueError):
        return False
    if len(nonce) != NONCE_BYTES:
        return False
    return hmac.compare_digest(mac, _mac(secret_key, session_id, nonce))


def needs_check(method: str) -> bool:
    """Whether a request with this method changes state, and so must carry a token."""
    return method.upper() not in SAFE_METHODS


def submitted(headers: Mapping[str, str], form: Mapping[str, object] | None = None) -> str | None:
    """The token a request carries: htmx sends the header, a plain form the field."""
    header = headers.get(HEADER) or headers.get(HEADER.lower())
    if header:
        return header
    field = (form or {}).get(FIELD)
    return field if isinstance(field, str) else None


def _mac(secret_key: str, session_id: str, nonce: bytes) -> bytes:
    # A key of its own, so a CSRF MAC can never stand for another signature of the secret.
    key = hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()
    message = session_id.encode() + b"\x00" + nonce
    return hmac.new(key, message, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
