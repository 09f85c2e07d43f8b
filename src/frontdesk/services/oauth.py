"""Access tokens for XOAUTH2 logins (IMAP poller, an inbox's relay), from the inbox's
OAuth grant: the cached one while it is fresh, else a new one from the token endpoint
(RFC 6749 section 6, the refresh-token grant).

The token endpoint is named by an account admin, so like every fetch it must not lie on a
private network unless the operator allows it (FRONTDESK_ALLOW_PRIVATE_FETCH), and the
request goes to the address that was checked. Tokens are never logged.
"""

from __future__ import annotations

import json
import threading

import httpx2

from frontdesk.core import mail
from frontdesk.core.mail.records import OAuthGrant
from frontdesk.core.shared.clock import now_ms
from frontdesk.services import sealing
from frontdesk.services.fetch import AddressRefused, Resolver, pin, resolve
from frontdesk.services.sealing import OAUTH_GRANT
from frontdesk.settings import Settings
from frontdesk.storage.store import Store

TIMEOUT_SECONDS = 20.0
MAX_ANSWER_BYTES = 64 * 1024
DEFAULT_LIFETIME_SECONDS = 3600  # when the endpoint does not say (`expires_in` is optional)


class OAuthFailed(Exception):
    """No access token could be had; the message says why and what to do, for the inbox's
    status (never a token)."""


class TokenSource:
    """One per process: refreshes are serialised, so two logins at once refresh once."""

    def __init__(self, store: Store, settings: Settings, *, resolver: Resolver = resolve) -> None:
        self.store = store
        self.settings = settings
        self.resolver = resolver
        self._lock = threading.Lock()

    def access_token(self, inbox_id: int, *, refresh: bool = False) -> str:
        """A usable access token for the inbox; `refresh` after the server refused one."""
        with self._lock:
            grant = self._grant(inbox_id)
            if not refresh and not mail.access_due(grant, now_ms()):
                return self._open(grant.access_token)
            return self._refresh(grant)

    def _grant(self, inbox_id: int) -> OAuthGrant:
        with self.store.read() as uow:
            grant = uow.mail.get_oauth(inbox_id)
        if grant is None:
            raise OAuthFailed("OAuth: the inbox has no OAuth grant (PUT .../inboxes/{id}/oauth)")
        return grant

    def _open(self, sealed: str) -> str:
        try:
            return sealing.unseal(sealed, self.settings.secret_key, OAUTH_GRANT)
        except sealing.SealBroken as exc:
            raise OAuthFailed(f"OAuth: {exc}; store the grant again") from exc

    def _refresh(self, grant: OAuthGrant) -> str:
        try:
            answer = self._ask(grant)
        except OAuthFailed as exc:
            with self.store.write() as uow:
                mail.oauth_failed(uow, grant.inbox_id, str(exc))
            raise
        access = answer["access_token"]
        lifetime = _lifetime(answer.get("expires_in"))
        rotated = answer.get("refresh_token")
        now = now_ms()
        with self.store.write() as uow:
            mail.oauth_refreshed(
                uow,
                grant.inbox_id,
                access_token=self._seal(access),
                expires=now + lifetime * 1000,
                refresh_token=self._seal(rotated) if isinstance(rotated, str) and rotated else None,
                now=now,
            )
        return access

    def _seal(self, value: str) -> str:
        return sealing.seal(value, self.settings.secret_key, OAUTH_GRANT)

    def _ask(self, grant: OAuthGrant) -> dict[str, str]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._open(grant.refresh_token),
            "client_id": grant.client_id,
        }
        if grant.client_secret:
            form["client_secret"] = self._open(grant.client_secret)
        if grant.scope:
            form["scope"] = grant.scope
        try:
            target = pin(
                httpx2.URL(grant.token_url),
                allow_private=self.settings.allow_private_fetch,
                resolver=self.resolver,
            )
        except AddressRefused as refused:
            where = "does not resolve" if refused.reason == "unresolved" else "is private"
            raise OAuthFailed(f"OAuth: the token endpoint {where}") from refused
        try:
            with httpx2.Client(
                trust_env=False, follow_redirects=False, timeout=TIMEOUT_SECONDS
            ) as client:
                response = client.post(
                    target.url,
                    data=form,
                    headers={**target.headers, "Accept": "application/json"},
                    extensions={"sni_hostname": target.sni},
                )
        except httpx2.HTTPError as exc:
            failure = type(exc).__name__
            raise OAuthFailed(f"OAuth: the token endpoint did not answer ({failure})") from exc
        return _answer(response.status_code, response.content[:MAX_ANSWER_BYTES])


def _answer(status: int, body: bytes) -> dict[str, str]:
    """The endpoint's JSON answer, or OAuthFailed with its error (RFC 6749 5.2)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise OAuthFailed(f"OAuth: the token endpoint answered {status} without JSON")
    if status == 200 and isinstance(data.get("access_token"), str) and data["access_token"]:
        return data
    error = str(data.get("error") or f"HTTP {status}")[:100]
    said = str(data.get("error_description") or "")[:300]
    hint = (
        ": consent was revoked or the refresh token expired; authorise the app again and "
        "store the new refresh token"
        if error == "invalid_grant"
        else ""
    )
    raise OAuthFailed(f"OAuth refresh refused: {error}{' (' + said + ')' if said else ''}{hint}")


def _lifetime(value: object) -> int:
    try:
        seconds = int(str(value))
    except ValueError:
        return DEFAULT_LIFETIME_SECONDS
    return max(1, min(seconds, 86_400 * 30))
