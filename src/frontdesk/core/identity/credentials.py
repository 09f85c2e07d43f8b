"""API keys, personal tokens and customer tokens: issued once, stored hashed, compared in
constant time.

A token reads `fdk_<key id>_<secret>` (API key), `fdp_<key id>_<secret>` (an agent's
personal token) or `fdc_<key id>_<secret>` (customer token). The key id finds the row;
only a SHA-256 of the secret is stored. The secret has 256 bits of entropy, so a fast hash
is enough: there is nothing to brute-force.

A personal token goes wherever an API key goes, and acts as its agent: the actor carries
the agent's id and the label `agent:<id>`, so the event log names the person, and its
scopes are the token's within what the agent's role allows today (an admin made an agent
keeps no admin scope through an old token). It ends when revoked, one by one or all of an
agent's at once (`revoke_agent_tokens`, for deactivation).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from frontdesk.core.contacts import ContactFields, find_or_create_contact, get_contact
from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Credential, CredentialKind
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid, NotFound, Unauthenticated
from frontdesk.core.shared.records import Actor, Scope

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,200}")
PREFIXES = {
    CredentialKind.API_KEY: "fdk",
    CredentialKind.CUSTOMER: "fdc",
    CredentialKind.PERSONAL: "fdp",
}
# Where an API key is taken, an agent's personal token is taken too.
ACCEPTED = {
    CredentialKind.API_KEY: frozenset({CredentialKind.API_KEY, CredentialKind.PERSONAL}),
    CredentialKind.CUSTOMER: frozenset({CredentialKind.CUSTOMER}),
    CredentialKind.PERSONAL: frozenset({CredentialKind.PERSONAL}),
}
MAX_PERSONAL_TOKENS = 20
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
    agent_id: int | None = None,
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
            "agent_id": agent_id,
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


def issue_customer_token_for(uow: IdentityUnit, actor: Actor, email: str, name: str = "") -> Issued:
    """A customer token for the contact with this address, made if the account has none
    (an admin hands a customer a token before they ever wrote)."""
    contact = find_or_create_contact(uow, actor, ContactFields(email=email))
    return issue_customer_token(uow, actor, contact.id, name)


def issue_personal_token(
    uow: IdentityUnit, actor: Actor, name: str, scopes: Iterable[Scope]
) -> Issued:
    """A token for scripts that act as the signed-in agent, with scopes the agent holds."""
    agent_id = _own_agent_id(uow, actor)
    chosen = frozenset(scopes)
    if not chosen:
        raise Invalid("no_scopes", "A token needs at least one scope", field="scopes")
    if not name.strip():
        raise Invalid("required", "Give the token a name", field="name")
    _only_held(actor, chosen)
    if len(uow.credentials.agent_credentials(agent_id)) >= MAX_PERSONAL_TOKENS:
        raise Invalid("too_many_tokens", f"At most {MAX_PERSONAL_TOKENS} tokens per agent")
    return _issue(uow, actor, CredentialKind.PERSONAL, name, sorted(chosen), None, agent_id)


def personal_tokens(uow: IdentityUnit, actor: Actor) -> list[Credential]:
    """The agent's own live tokens, oldest first."""
    return uow.credentials.agent_credentials(_own_agent_id(uow, actor))


def revoke_personal_token(uow: IdentityUnit, actor: Actor, credential_id: int) -> Credential:
    """Revoke one of the agent's own tokens; another's (or another account's) is not found."""
    agent_id = _own_agent_id(uow, actor)
    credential = uow.credentials.get_credential(actor.account_id, credential_id)
    if credential is None or credential.agent_id != agent_id:
        raise NotFound("credential_not_found", f"No personal token {credential_id}")
    return revoke(uow, actor, CredentialKind.PERSONAL, credential_id)


def revoke_agent_tokens(uow: IdentityUnit, actor: Actor, agent_id: int) -> int:
    """Revoke every personal token of an agent: an admin for anyone in the account (as
    deactivating an agent must), an agent for themselves. How many were live."""
    if actor.agent_id != agent_id and not actor.can(Scope.ADMIN):
        raise Forbidden("admin_only", "Only an admin can revoke another agent's tokens")
    agent = accounts.get_agent(uow, actor, agent_id)
    now = now_ms()
    revoked = uow.credentials.revoke_agent_credentials(agent.id, now)
    if revoked:
        events.record(uow, actor, events.CREDENTIAL_REVOKED, now, agent_id=agent.id)
    return revoked


def _own_agent_id(uow: IdentityUnit, actor: Actor) -> int:
    agent = accounts.find_agent(uow, actor.account_id, actor.agent_id or 0)
    if agent is None:
        raise Forbidden("agent_only", "Only an agent has personal tokens")
    return agent.id


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
    key_id, secret, _kind = _parsed(token, kind)
    return key_id, secret


def _parsed(token: str, kind: CredentialKind) -> tuple[str, str, CredentialKind]:
    """Key id, secret and the kind its prefix names (one of those taken where `kind` is)."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    named = next((k for k in ACCEPTED[kind] if PREFIXES[k] == prefix), None)
    # Issued secrets are URL-safe base64; anything else (a non-ASCII character pasted in
    # with the key) cannot match and must not reach the ASCII-only hash.
    if named is None or not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        raise Unauthenticated("invalid_credentials", "The key is not valid")
    return key_id, secret, named


def authenticate(uow: IdentityUnit, token: str, kind: CredentialKind) -> tuple[Actor, bool]:
    """The actor a token stands for, and whether its last_used stamp is stale.

    Every failure reads the same, so a caller learns nothing about which part was wrong.
    """
    key_id, secret, named = _parsed(token, kind)
    credential = uow.credentials.find_credential(key_id)
    expected = credential.secret_hash if credential else _hash("no such key")
    matches = hmac.compare_digest(expected, _hash(secret))
    if (
        credential is None
        or not matches
        or credential.revoked is not None
        or credential.kind is not named
    ):
        raise Unauthenticated("invalid_credentials", "The key is not valid")
    actor = (
        _personal_actor(uow, credential)
        if named is CredentialKind.PERSONAL
        else Actor(
            account_id=credential.account_id,
            label=f"{named.value}:{credential.id}",
            scopes=credential.scopes,
            contact_id=credential.contact_id,
            credential_id=credential.id,
        )
    )
    stale = (
        credential.last_used is None or now_ms() - credential.last_used > LAST_USED_RESOLUTION_MS
    )
    return actor, stale


def _personal_actor(uow: IdentityUnit, credential: Credential) -> Actor:
    """The token's agent, acting with the token's scopes that the agent's role allows."""
    agent = accounts.find_agent(uow, credential.account_id, credential.agent_id or 0)
    if agent is None or agent.deactivated is not None:
        raise Unauthenticated("invalid_credentials", "The key is not valid")
    as_agent = sessions.agent_actor(agent)
    return Actor(
        account_id=agent.account_id,
        label=as_agent.label,
        scopes=credential.scopes & as_agent.scopes,
        agent_id=agent.id,
        credential_id=credential.id,
    )


def touch(uow: IdentityUnit, credential_id: int) -> None:
    uow.credentials.update_credential(credential_id, {"last_used": now_ms()})
