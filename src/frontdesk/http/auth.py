"""Authentication as every transport does it: failures counted, limited and logged.

Each credential path (bearer keys, ImBox keys in the path, v3 PRIVATE-TOKEN, the chat
agent socket's token) calls `authenticated()`. A failure counts against the client's
address and against the key id the token names; past either limit, the next attempt is
refused before the key is even looked at (`RateLimited`: 429 with Retry-After in the
dialect's envelope, 4429 on a socket), until the window slides. Failures are logged with
the key id and the address only: never the token, its secret or the path that carries it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.errors import RateLimited, Unauthenticated
from frontdesk.core.shared.records import Actor
from frontdesk.http.ratelimit import RateLimiter
from frontdesk.services import Services
from frontdesk.services.auth import actor_for

log = logging.getLogger(__name__)
_KEY_ID = re.compile(r"fd[kcp]_([0-9a-f]{16})_")  # API key, customer token, personal token


@dataclass(frozen=True)
class AuthLimits:
    by_address: RateLimiter
    by_key: RateLimiter


def key_id_of(token: str) -> str | None:
    """The key id a token names, if it is shaped like one of ours (no secret in it)."""
    found = _KEY_ID.match(token)
    return found.group(1) if found else None


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def authenticated(
    connection: HTTPConnection,
    token: str,
    kind: CredentialKind = CredentialKind.API_KEY,
    *,
    services: Services | None = None,
) -> Actor:
    """The token's actor; Unauthenticated (counted) or RateLimited."""
    limits: AuthLimits = connection.app.state.auth_limits
    services = services or connection.app.state.services
    address = client_address(connection)
    key_id = key_id_of(token)
    wait = limits.by_address.wait(f"ip:{address}")
    if key_id is not None:
        wait = max(wait, limits.by_key.wait(f"key:{key_id}"))
    if wait > 0:
        raise RateLimited(
            "too_many_failures",
            "Too many failed authentications; try again later",
            retry_after=wait,
        )
    try:
        return actor_for(services, token, kind)
    except Unauthenticated:
        limits.by_address.attempt(f"ip:{address}")
        if key_id is not None:
            limits.by_key.attempt(f"key:{key_id}")
        log.warning(
            "authentication failed: %s key id %s from %s",
            kind.value,
            key_id or "(malformed)",
            address,
        )
        raise
