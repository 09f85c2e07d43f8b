"""Passkeys and security keys (WebAuthn): register, name, remove, and sign in with one as
the second factor.

The browser signs a challenge with a private key that never leaves the authenticator; we
keep the credential id and the public key only, and check the signature, the origin, the
relying party and the challenge with the `webauthn` library. One ceremony at a time per
session: the challenge is kept on the session row and cleared when it is used, so an
answer cannot be replayed. A sign counter that goes backwards (a cloned key) is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from frontdesk.core.identity import twofactor
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Agent, Passkey, WebSession
from frontdesk.core.identity.sessions import Client, Policy
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import Actor
from frontdesk.core.shared.text import clean_name

PASSKEY_ADDED = "passkey.added"
PASSKEY_RENAMED = "passkey.renamed"
PASSKEY_REMOVED = "passkey.removed"
MAX_NAME = 100
MAX_PASSKEYS = 20
_TIMEOUT_MS = 120_000


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the keys are for: the site's host name, its origin, and the name people see."""

    id: str
    origin: str
    name: str = "Frontdesk"


def registration_options(
    uow: IdentityUnit, actor: Actor, session: WebSession, rp: RelyingParty
) -> str:
    """The options for `navigator.credentials.create()`, as JSON; the challenge is kept."""
    agent = twofactor.own_agent(uow, actor)
    existing = uow.two_factor.list_passkeys(agent.id)
    if len(existing) >= MAX_PASSKEYS:
        raise Invalid("too_many_passkeys", f"At most {MAX_PASSKEYS} passkeys per agent")
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=(agent.uuid or str(agent.id)).encode(),
        user_name=agent.email,
        user_display_name=agent.name,
        timeout=_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(key) for key in existing],
    )
    _keep_challenge(uow, session, options.challenge)
    return webauthn.options_to_json(options)


def register(
    uow: IdentityUnit,
    actor: Actor,
    session: WebSession,
    rp: RelyingParty,
    answer: str,
    name: str,
) -> Passkey:
    """Check the browser's answer to the registration options and keep the new key."""
    agent = twofactor.own_agent(uow, actor)
    label = clean_name(name, limit=MAX_NAME)
    challenge = _take_challenge(uow, session)
    try:
        verified = webauthn.verify_registration_response(
            credential=_json(answer),
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except WebAuthnException as exc:
        raise Invalid("passkey_refused", "The passkey could not be verified") from exc
    now = now_ms()
    key = uow.two_factor.insert_passkey(
        {
            "account_id": agent.account_id,
            "agent_id": agent.id,
            "name": label,
            "credential_id": bytes_to_base64url(verified.credential_id),
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count,
            "created": now,
        }
    )
    events.record(uow, actor, PASSKEY_ADDED, now, passkey_id=key.id)
    twofactor.factor_added(uow, agent)
    return key


def rename(uow: IdentityUnit, actor: Actor, passkey_id: int, name: str) -> Passkey:
    key = _own_key(uow, actor, passkey_id)
    renamed = uow.two_factor.update_passkey(key.id, {"name": clean_name(name, limit=MAX_NAME)})
    events.record(uow, actor, PASSKEY_RENAMED, now_ms(), passkey_id=key.id)
    return renamed


def remove(uow: IdentityUnit, actor: Actor, passkey_id: int) -> None:
    """Remove a key; where the owner requires two-factor, not the agent's last factor."""
    key = _own_key(uow, actor, passkey_id)
    agent = twofactor.own_agent(uow, actor)
    twofactor.keep_a_factor(uow, agent, passkeys_left=len(uow.two_factor.list_passkeys(agent.id)))
    uow.two_factor.delete_passkey(key.id)
    now = now_ms()
    if not uow.two_factor.has_factor(agent.id):
        uow.two_factor.replace_recovery_codes(agent.account_id, agent.id, [], now)
    events.record(uow, actor, PASSKEY_REMOVED, now, passkey_id=key.id)


def _own_key(uow: IdentityUnit, actor: Actor, passkey_id: int) -> Passkey:
    agent = twofactor.own_agent(uow, actor)
    key = next((k for k in uow.two_factor.list_passkeys(agent.id) if k.id == passkey_id), None)
    if key is None:
        raise NotFound("passkey_not_found", f"No passkey {passkey_id}")
    return key


# -- the second step of a sign-in -------------------------------------------------------------


def sign_in_options(uow: IdentityUnit, session: WebSession, rp: RelyingParty) -> str:
    """The options for `navigator.credentials.get()` for a session waiting at "verify"."""
    agent = twofactor.waiting_agent(uow, session)
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        timeout=_TIMEOUT_MS,
        allow_credentials=[_descriptor(key) for key in uow.two_factor.list_passkeys(agent.id)],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(uow, session, options.challenge)
    return webauthn.options_to_json(options)


def sign_in(
    uow: IdentityUnit,
    session: WebSession,
    rp: RelyingParty,
    answer: str,
    client: Client,
    policy: Policy,
) -> int | None:
    """Finish a sign-in held at "verify" with a passkey's signature, as `twofactor.verify`
    does with a code: None when signed in, else the seconds to wait (0: refused)."""
    agent = twofactor.waiting_agent(uow, session)
    wait = twofactor.attempt_wait(uow, agent, client, policy)
    if wait:
        return wait
    if not _signed_by_own_key(uow, session, agent, rp, answer):
        twofactor.count_wrong(uow, agent, client)
        return 0
    twofactor.finish(uow, session, agent, "passkey")
    return None


def _signed_by_own_key(
    uow: IdentityUnit, session: WebSession, agent: Agent, rp: RelyingParty, answer: str
) -> bool:
    challenge = _take_challenge(uow, session)
    credential = _json(answer)
    key = uow.two_factor.find_passkey(str(credential.get("id", ""))[:1400])
    if key is None or key.agent_id != agent.id:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except WebAuthnException:
        return False
    changes = {"sign_count": verified.new_sign_count, "last_used": now_ms()}
    uow.two_factor.update_passkey(key.id, changes)
    return True


# -- challenges and shapes --------------------------------------------------------------------


def _keep_challenge(uow: IdentityUnit, session: WebSession, challenge: bytes) -> None:
    uow.sessions.update_session(session.id, {"challenge": bytes_to_base64url(challenge)})


def _take_challenge(uow: IdentityUnit, session: WebSession) -> bytes:
    """The session's challenge, cleared so that it serves one answer only."""
    if not session.challenge or not uow.sessions.take_challenge(session.id, session.challenge):
        raise Invalid("no_challenge", "Start again: ask for a new passkey prompt")
    return base64url_to_bytes(session.challenge)


def _descriptor(key: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))


def _json(answer: str) -> dict[str, Any]:
    try:
        parsed = json.loads(answer)
    except ValueError as exc:
        raise Invalid("passkey_refused", "The passkey's answer is not JSON") from exc
    if not isinstance(parsed, dict):
        raise Invalid("passkey_refused", "The passkey's answer is not an object")
    return parsed
