"""API keys and customer tokens: issued once, stored hashed, compared in constant time.

A token reads `fdk_<key id>_<secret>` (API key) or `fdc_<key id>_<secret>` (customer
token). The key id finds the row; only a SHA-256 of the secret is stored. The secret has
256 bits of entropy, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from frontdesk.core.contacts import get_contact
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Credential, CredentialKind
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound, Unauthenticated
from frontdesk.core.shared.records import Actor, Scope

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,200}")
PREFIXES = {CredentialKind.API_KEY: "fdk", CredentialKind.CUSTOMER: "fdc"}
# Touching last_used on every request would turn each read into a write.
LAST_USED_RESOLUTION_MS = 60_000


@dataclass(frozen=True)
class Issued:
    """A new credential and its token, which is shown once and never stored."""

    credential: Credential
    token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _issue(
    uow: IdentityUnit,
    actor: Actor,
    kind: CredentialKind,
    name: str,
    scopes: Iterable[Scope],
    contact_id: int | None,
) -> Issued:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = now_ms()
    credential = uow.credentials.insert_credential(
        {
            "account_id": actor.account_id,
            "kind": kind.value,
            "name": name.strip()[:200] or kind.value,
            "key_id": key_id,
            "secret_hash": _hash(secret),
            "scopes": [scope.value for scope in scopes],
            "contact_id": contact_id,
            "created": now,
        }
    )
    events.record(uow, actor, events.CREDENTIAL_ISSUED, now, id=credential.id, kind=kind.value)
    return Issued(credential, f"{PREFIXES[kind]}_{key_id}_{secret}")


def issue_api_key(uow: IdentityUnit, actor: Actor, name: str, scopes: Iterable[Scope]) -> Issued:
    """A new key with at most the scopes the issuer holds itself: an `admin` key without
    `tickets:write` cannot mint one with it, so no key can climb above its own scopes."""
    chosen = frozenset(scopes)
    if not chosen:
        raise Invalid("no_scopes", "An API key needs at least one scope", field="scopes")
    _only_held(actor, chosen)
    return _issue(uow, actor, CredentialKind.API_KEY, name, sorted(chosen), None)


# A customer token reads and answers its contact's tickets (the v3 API): issuing one grants
# that much, so the issuer must hold it.
CUSTOMER_TOKEN_GRANTS = frozenset({Scope.TICKETS_READ, Scope.TICKETS_WRITE})


def _only_held(actor: Actor, granted: frozenset[Scope]) -> None:
    missing = sorted(scope.value for scope in granted - actor.scopes)
    if missing:
        raise Forbidden(
            "scope_not_held",
            f"A key can only grant scopes it holds itself; this one lacks {', '.join(missing)}",
            field="scopes",
        )


def issue_customer_token(
    uow: IdentityUnit, actor: Actor, contact_id: int, name: str = ""
) -> Issued:
    _only_held(actor, CUSTOMER_TOKEN_GRANTS)
    contact = get_contact(uow, actor, contact_id)
    return _issue(uow, actor, CredentialKind.CUSTOMER, name or contact.email, (), contact.id)


def revoke(uow: IdentityUnit, actor: Actor, kind: CredentialKind, credential_id: int) -> Credential:
    credential = uow.credentials.get_credential(actor.account_id, credential_id)
    if credential is None or credential.kind is not kind:
        raise NotFound("credential_not_found", f"No {kind.value.replace('_', ' ')} {credential_id}")
    if credential.revoked is None:
        now = now_ms()
        credential = uow.credentials.update_credential(credential.id, {"revoked": now})
        events.record(uow, actor, events.CREDENTIAL_REVOKED, now, id=credential.id)
    return credential


def list_credentials(uow: IdentityUnit, actor: Actor, kind: CredentialKind) -> list[Credential]:
    return uow.credentials.list_credentials(actor.account_id, kind)


def parse_token(token: str, kind: CredentialKind) -> tuple[str, str]:
    """Split a token into key id and secret, or refuse it without touching storage."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    # Issued secrets are URL-safe base64; anything else (a non-ASCII character pasted in
    # with the key) cannot match and must not reach the ASCII-only hash.
    if prefix != PREFIXES[kind] or not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        raise Unauthenticated("invalid_credentials", "The key is not valid")
    return key_id, secret


def authenticate(uow: IdentityUnit, token: str, kind: CredentialKind) -> tuple[Actor, bool]:
    """The actor a token stands for, and whether its last_used stamp is stale.

    Every failure reads the same, so a caller learns nothing about which part was wrong.
    """
    key_id, secret = parse_token(token, kind)
    credential = uow.credentials.find_credential(key_id)
    expected = credential.secret_hash if credential else _hash("no such key")
    matches = hmac.compare_digest(expected, _hash(secret))
    if (
        credential is None
        or not matches
        or credential.revoked is not None
        or credential.kind is not kind
    ):
        raise Unauthenticated("invalid_credentials", "The key is not valid")
    actor = Actor(
        account_id=credential.account_id,
        label=f"{kind.value}:{credential.id}",
        scopes=credential.scopes,
        contact_id=credential.contact_id,
        credential_id=credential.id,
    )
    stale = (
        credential.last_used is None or now_ms() - credential.last_used > LAST_USED_RESOLUTION_MS
    )
    return actor, stale


def touch(uow: IdentityUnit, credential_id: int) -> None:
    uow.credentials.update_credential(credential_id, {"last_used": now_ms()})
