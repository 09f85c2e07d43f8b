"""What an admin sets up for an inbox's outgoing mail and OAuth mailboxes: the inbox's own
relay, and the OAuth 2 grant its IMAP poller and relay log in with (XOAUTH2).

Secrets arrive here already sealed by the caller's `seal` (services/sealing.py): the core
stores and compares, it never encrypts nor talks to a token endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from frontdesk.core.identity.accounts import get_inbox
from frontdesk.core.mail._receiving import plain_value, seal_password, server_address
from frontdesk.core.mail.ports import MailUnit
from frontdesk.core.mail.records import NO_AUTH, OAUTH2, PASSWORD, InboxRelay, OAuthGrant
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import Actor

_Found = TypeVar("_Found")
SECURITY = ("none", "starttls", "tls")
MAX_TOKEN = 10_000
RELAY_AUTH = (NO_AUTH, PASSWORD, OAUTH2)
# An access token is refreshed this long before it expires, so that a login started just
# before the expiry does not meet a token that runs out on the way.
REFRESH_MARGIN_MS = 120_000
_URL = re.compile(r"^https?://[^\s/?#@]+(?::\d{1,5})?(?:/[^\s#]*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class OAuthFields:
    token_url: str
    client_id: str
    scope: str = ""
    client_secret: str | None = field(default=None, repr=False)  # None keeps the stored one
    refresh_token: str | None = field(default=None, repr=False)  # None keeps the stored one


@dataclass(frozen=True)
class RelayFields:
    host: str
    port: int = 587
    security: str = "starttls"
    auth: str = PASSWORD
    username: str = ""
    password: str | None = field(default=None, repr=False)  # None keeps the stored one


def set_oauth(
    uow: MailUnit, actor: Actor, inbox_id: int, fields: OAuthFields, *, seal: Callable[[str], str]
) -> OAuthGrant:
    """Store an inbox's OAuth grant. A new refresh token drops the cached access token and
    the last error: the next login refreshes with what the admin just gave."""
    inbox = get_inbox(uow, actor, inbox_id)
    token_url = plain_value(fields.token_url, "token_url", 2000)
    if not _URL.match(token_url):
        raise Invalid("invalid_url", "token_url must be an http(s) URL", field="token_url")
    known = uow.mail.get_oauth(inbox.id)
    stored = known.refresh_token if known else None
    # Microsoft's refresh tokens run to a few thousand characters.
    refresh = _kept(fields.refresh_token, stored, seal, "refresh_token", MAX_TOKEN)
    secret = known.client_secret if known else ""
    if fields.client_secret is not None:  # "" removes it: a public client (PKCE) has none
        given = fields.client_secret
        secret = seal_password(given, seal, "client_secret") if given else ""
    now = now_ms()
    values: dict[str, object] = {
        "inbox_id": inbox.id,
        "account_id": actor.account_id,
        "token_url": token_url,
        "client_id": plain_value(fields.client_id, "client_id", 500),
        "client_secret": secret,
        "scope": _optional(fields.scope, "scope", 1000),
        "refresh_token": refresh,
        "created": now,
        "updated": now,
    }
    if known is None or fields.refresh_token is not None:
        values.update(access_token="", access_expires=None, last_error=None)
    saved = uow.mail.put_oauth(values)
    events.record(uow, actor, "inbox.oauth_set", now, inbox_id=inbox.id, token_url=token_url)
    return saved


def _optional(value: str, what: str, limit: int) -> str:
    """A value that may be empty, else checked like any other."""
    return plain_value(value, what, limit) if value.strip() else ""


def _kept(
    given: str | None, stored: str | None, seal: Callable[[str], str], what: str, limit: int = 1000
) -> str:
    if given is not None:
        if not given.strip():
            raise Invalid("required", f"{what} must not be empty", field=what)
        return seal_password(given.strip(), seal, what, limit)
    if not stored:
        raise Invalid("required", f"{what} must be given", field=what)
    return stored


def _required(found: _Found | None, code: str, message: str) -> _Found:
    if found is None:
        raise NotFound(code, message)
    return found


def get_oauth(uow: MailUnit, actor: Actor, inbox_id: int) -> OAuthGrant:
    inbox = get_inbox(uow, actor, inbox_id)
    no_grant = f"Inbox {inbox.id} has no OAuth grant"
    return _required(uow.mail.get_oauth(inbox.id), "oauth_not_found", no_grant)


def remove_oauth(uow: MailUnit, actor: Actor, inbox_id: int) -> None:
    inbox_id = get_oauth(uow, actor, inbox_id).inbox_id
    uow.mail.delete_oauth(inbox_id)
    events.record(uow, actor, "inbox.oauth_removed", now_ms(), inbox_id=inbox_id)


def access_due(grant: OAuthGrant, now: int) -> bool:
    """Whether the cached access token must be refreshed before it is used."""
    if not grant.access_token or grant.access_expires is None:
        return True
    return grant.access_expires - REFRESH_MARGIN_MS <= now


def oauth_refreshed(
    uow: MailUnit,
    inbox_id: int,
    *,
    access_token: str,
    expires: int,
    refresh_token: str | None,
    now: int,
) -> None:
    """Keep a refreshed (sealed) access token; a provider that rotates refresh tokens
    (Microsoft does) sends a new one, which replaces the old."""
    changes: dict[str, object] = {
        "access_token": access_token,
        "access_expires": expires,
        "last_refreshed": now,
        "last_error": None,
    }
    if refresh_token:
        changes["refresh_token"] = refresh_token
    uow.mail.update_oauth(inbox_id, changes)


def oauth_failed(uow: MailUnit, inbox_id: int, error: str) -> None:
    """A refresh the token endpoint refused: the grant shows why, the cache is dropped."""
    uow.mail.update_oauth(
        inbox_id, {"last_error": error[:2000], "access_token": "", "access_expires": None}
    )


def set_relay(
    uow: MailUnit, actor: Actor, inbox_id: int, fields: RelayFields, *, seal: Callable[[str], str]
) -> InboxRelay:
    """Store an inbox's own relay: its mail leaves through it instead of the global one."""
    inbox = get_inbox(uow, actor, inbox_id)
    host = server_address(fields.host, fields.port)
    if fields.security not in SECURITY:
        choices = ", ".join(SECURITY)
        raise Invalid("invalid_security", f"security is one of {choices}", field="security")
    if fields.auth not in RELAY_AUTH:
        raise Invalid("invalid_auth", f"auth is one of {', '.join(RELAY_AUTH)}", field="auth")
    username = _optional(fields.username, "username", 320)
    if fields.auth != NO_AUTH:
        username = plain_value(username, "username", 320)
    known = uow.mail.get_relay(inbox.id)
    password = ""
    if fields.auth == PASSWORD:
        password = _kept(fields.password, known.password if known else None, seal, "password")
    now = now_ms()
    saved = uow.mail.put_relay(
        {
            "inbox_id": inbox.id,
            "account_id": actor.account_id,
            "host": host,
            "port": fields.port,
            "security": fields.security,
            "auth": fields.auth,
            "username": username,
            "password": password,
            "created": now,
            "updated": now,
        }
    )
    events.record(uow, actor, "inbox.relay_set", now, inbox_id=inbox.id, host=host)
    return saved


def get_relay(uow: MailUnit, actor: Actor, inbox_id: int) -> InboxRelay:
    inbox = get_inbox(uow, actor, inbox_id)
    no_relay = f"Inbox {inbox.id} has no relay of its own"
    return _required(uow.mail.get_relay(inbox.id), "relay_not_found", no_relay)


def remove_relay(uow: MailUnit, actor: Actor, inbox_id: int) -> None:
    inbox_id = get_relay(uow, actor, inbox_id).inbox_id
    uow.mail.delete_relay(inbox_id)
    events.record(uow, actor, "inbox.relay_removed", now_ms(), inbox_id=inbox_id)
