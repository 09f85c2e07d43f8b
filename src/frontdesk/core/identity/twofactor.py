"""Two-factor sign-in: authenticator apps (TOTP), recovery codes, the second step of a
sign-in, and the owner's rule that everyone must have a second factor.

A sign-in with the right password and a second factor on file opens its session at the
stage "verify" (sessions.py): the session can do nothing but finish the sign-in here.
Wrong codes count against the same limits as wrong passwords, under a kind of their own.

The authenticator's secret has to be read back to check a code, so it is sealed with the
installation's key by the caller (`Box`), never stored in the clear. A code is accepted at
most once: the newest accepted 30-second step is kept and an older or equal one refused.
Recovery codes are shown once and kept as SHA-256 hashes; each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp

from frontdesk.core.identity import accounts, sessions
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Agent, Passkey, Role, SignInStage, WebSession
from frontdesk.core.identity.sessions import Client, Policy, agent_actor
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor

SECOND_FACTOR = "2fa"  # the kind of a wrong code among the counted attempts
TWO_FACTOR_ENABLED = "two_factor.enabled"
TWO_FACTOR_DISABLED = "two_factor.disabled"
TWO_FACTOR_REQUIRED = "two_factor.required"
RECOVERY_CODES_NEW = "two_factor.recovery_codes"
SESSION_VERIFIED = "session.verified"
RECOVERY_CODES = 10
_STEP_SECONDS = 30
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


@dataclass(frozen=True, slots=True)
class Box:
    """Seals and unseals the authenticator's secret (services/sealing.py holds the key)."""

    seal: Callable[[str], str]
    unseal: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """What the enrolment page shows: the secret to type and the URI the QR code holds."""

    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class Factors:
    """An agent's second factors, as their security page lists them."""

    totp: bool
    passkeys: list[Passkey]
    recovery_left: int
    required: bool

    @property
    def any(self) -> bool:
        return self.totp or bool(self.passkeys)


def own_agent(uow: IdentityUnit, actor: Actor) -> Agent:
    """The agent acting: only a person has second factors."""
    agent = accounts.find_agent(uow, actor.account_id, actor.agent_id or 0)
    if agent is None:
        raise Forbidden("agent_only", "Only an agent signed in as themselves can do this")
    return agent


def factors(uow: IdentityUnit, actor: Actor) -> Factors:
    agent = own_agent(uow, actor)
    totp = uow.two_factor.get_totp(agent.id)
    account = accounts.get_account(uow, agent.account_id)
    return Factors(
        totp=totp is not None and totp.confirmed is not None,
        passkeys=uow.two_factor.list_passkeys(agent.id),
        recovery_left=uow.two_factor.recovery_codes_left(agent.id),
        required=account.require_two_factor,
    )


# -- enrolling an authenticator app -----------------------------------------------------------


def begin_totp(uow: IdentityUnit, actor: Actor, box: Box, issuer: str) -> TotpSetup:
    """A new secret for the agent's authenticator app, kept unconfirmed until a code
    from it comes back (a second start replaces the first)."""
    agent = own_agent(uow, actor)
    existing = uow.two_factor.get_totp(agent.id)
    if existing is not None and existing.confirmed is not None:
        raise Conflict("totp_enrolled", "An authenticator app is already set up")
    secret = pyotp.random_base32()
    uow.two_factor.put_totp(
        {
            "agent_id": agent.id,
            "account_id": agent.account_id,
            "secret": box.seal(secret),
            "created": now_ms(),
            "last_step": 0,
        }
    )
    return _setup(secret, agent, issuer)


def pending_totp(uow: IdentityUnit, actor: Actor, box: Box, issuer: str) -> TotpSetup | None:
    """The enrolment still waiting for its first code, to show again after a wrong one."""
    agent = own_agent(uow, actor)
    totp = uow.two_factor.get_totp(agent.id)
    if totp is None or totp.confirmed is not None:
        return None
    return _setup(box.unseal(totp.secret), agent, issuer)


def _setup(secret: str, agent: Agent, issuer: str) -> TotpSetup:
    uri = pyotp.TOTP(secret).provisioning_uri(name=agent.email, issuer_name=issuer)
    return TotpSetup(secret=secret, uri=uri)


def confirm_totp(uow: IdentityUnit, actor: Actor, box: Box, code: str) -> list[str]:
    """Turn the app on with a first code from it; returns new recovery codes (shown once)."""
    agent = own_agent(uow, actor)
    totp = uow.two_factor.get_totp(agent.id)
    if totp is None or totp.confirmed is not None:
        raise NotFound("totp_not_started", "Start setting up an authenticator app first")
    now = now_ms()
    if not _accept_code(uow, agent.id, box.unseal(totp.secret), code, now):
        raise Invalid("wrong_code", "That code is not right. Try the newest one.", field="code")
    uow.two_factor.update_totp(agent.id, {"confirmed": now})
    events.record(uow, actor, TWO_FACTOR_ENABLED, now, method="totp")
    _factor_added(uow, agent)
    return _new_recovery_codes(uow, actor, agent, now)


def disable_totp(
    uow: IdentityUnit, actor: Actor, box: Box, *, code: str = "", password: str = ""
) -> None:
    """Turn the app off; it takes a fresh code from it or the agent's password."""
    agent = own_agent(uow, actor)
    totp = uow.two_factor.get_totp(agent.id)
    if totp is None or totp.confirmed is None:
        raise NotFound("totp_not_enrolled", "No authenticator app is set up")
    now = now_ms()
    proven = (password and accounts.verify_password(agent, password)) or (
        code and _accept_code(uow, agent.id, box.unseal(totp.secret), code, now)
    )
    if not proven:
        raise Invalid(
            "wrong_code", "Enter a current code from the app, or your password.", field="code"
        )
    keep_a_factor(uow, agent, passkeys_left=len(uow.two_factor.list_passkeys(agent.id)))
    uow.two_factor.delete_totp(agent.id)
    if not uow.two_factor.has_factor(agent.id):
        uow.two_factor.replace_recovery_codes(agent.account_id, agent.id, [], now)
    events.record(uow, actor, TWO_FACTOR_DISABLED, now, method="totp")


def keep_a_factor(uow: IdentityUnit, agent: Agent, *, passkeys_left: int) -> None:
    """Where the owner requires two-factor, the last factor cannot be removed."""
    totp = uow.two_factor.get_totp(agent.id)
    others = passkeys_left + (1 if totp is not None and totp.confirmed is not None else 0)
    if others <= 1 and accounts.get_account(uow, agent.account_id).require_two_factor:
        raise Conflict(
            "two_factor_required",
            "Your team requires two-factor sign-in: add another method before removing this one.",
        )


def new_recovery_codes(uow: IdentityUnit, actor: Actor) -> list[str]:
    """Replace the agent's recovery codes (the old ones stop working)."""
    agent = own_agent(uow, actor)
    if not uow.two_factor.has_factor(agent.id):
        raise Conflict("no_second_factor", "Set up an authenticator app or a passkey first")
    return _new_recovery_codes(uow, actor, agent, now_ms())


def _new_recovery_codes(uow: IdentityUnit, actor: Actor, agent: Agent, now: int) -> list[str]:
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    hashes = [_code_hash(code) for code in codes]
    uow.two_factor.replace_recovery_codes(agent.account_id, agent.id, hashes, now)
    events.record(uow, actor, RECOVERY_CODES_NEW, now)
    return codes


def _recovery_code() -> str:
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


def _code_hash(code: str) -> str:
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(plain.encode("ascii", "replace")).hexdigest()


def factor_added(uow: IdentityUnit, agent: Agent) -> None:
    """A first factor lets the agent's sessions held for enrolment go on (passkeys too)."""
    _factor_added(uow, agent)


def _factor_added(uow: IdentityUnit, agent: Agent) -> None:
    uow.sessions.set_stage(agent.id, SignInStage.ENROL, SignInStage.DONE)


# -- the second step of a sign-in -------------------------------------------------------------


def verify(
    uow: IdentityUnit,
    session: WebSession,
    box: Box,
    code: str,
    client: Client,
    policy: Policy,
) -> int | None:
    """Finish a sign-in held at "verify" with a code from the app or a recovery code.

    Returns None when the session may go on, else the seconds to wait (0: wrong code, try
    again). Returns rather than raises so that a wrong code is counted in this transaction.
    """
    agent = waiting_agent(uow, session)
    now = now_ms()
    wait = attempt_wait(uow, agent, client, policy)
    if wait:
        return wait
    method = _matching_method(uow, agent, box, code, now)
    if method is None:
        count_wrong(uow, agent, client)
        return 0
    finish(uow, session, agent, method)
    return None


def attempt_wait(uow: IdentityUnit, agent: Agent, client: Client, policy: Policy) -> int:
    """Seconds before another second factor may be tried (wrong codes and refused passkeys
    count together, per agent and per client IP)."""
    return sessions.attempt_wait(uow, SECOND_FACTOR, agent.email, client.ip, policy, now_ms())


def count_wrong(uow: IdentityUnit, agent: Agent, client: Client) -> None:
    uow.sessions.record_attempt(SECOND_FACTOR, agent.email, client.ip, now_ms())


def waiting_agent(uow: IdentityUnit, session: WebSession) -> Agent:
    agent = accounts.find_agent(uow, session.account_id, session.agent_id)
    if agent is None or session.stage != SignInStage.VERIFY:
        raise NotFound("session_not_found", "Sign in again")
    return agent


def _matching_method(uow: IdentityUnit, agent: Agent, box: Box, code: str, now: int) -> str | None:
    totp = uow.two_factor.get_totp(agent.id)
    digits = "".join(code.split())
    if totp is not None and totp.confirmed is not None and digits.isdigit():
        return "totp" if _accept_code(uow, agent.id, box.unseal(totp.secret), digits, now) else None
    if uow.two_factor.use_recovery_code(agent.id, _code_hash(code[:40]), now):
        return "recovery_code"
    return None


def finish(uow: IdentityUnit, session: WebSession, agent: Agent, method: str) -> None:
    """The second factor was given: the session is signed in."""
    uow.sessions.update_session(session.id, {"stage": SignInStage.DONE, "challenge": None})
    events.record(
        uow, agent_actor(agent), SESSION_VERIFIED, now_ms(), session_id=session.id, method=method
    )


def _accept_code(uow: IdentityUnit, agent_id: int, secret: str, code: str, now: int) -> bool:
    """Whether `code` is the app's code for now (or the step either side, for a clock a
    little off), and was not accepted before."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = now // 1000 // _STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS), code):
            return uow.two_factor.use_totp_step(agent_id, step)
    return False


# -- the owner's rule -------------------------------------------------------------------------


def require_two_factor(uow: IdentityUnit, actor: Actor, required: bool) -> None:
    """The owner requires (or stops requiring) a second factor of every agent.

    Turning it on holds the signed-in sessions of agents without one at enrolment, so the
    rule takes hold at once, not at their next sign-in. The owner must have a factor first,
    so that turning it on never locks the owner out of their own page.
    """
    owner = own_agent(uow, actor)
    if owner.role != Role.OWNER:
        raise Forbidden("owner_only", "Only the account's owner can require two-factor sign-in")
    if required and not uow.two_factor.has_factor(owner.id):
        raise Conflict(
            "no_second_factor", "Set up two-factor sign-in for yourself before requiring it"
        )
    uow.accounts.update_account(owner.account_id, {"require_two_factor": required})
    if required:
        uow.sessions.set_stage_where_no_factor(owner.account_id, SignInStage.ENROL)
    else:
        uow.sessions.release_stage(owner.account_id, SignInStage.ENROL)
    events.record(uow, actor, TWO_FACTOR_REQUIRED, now_ms(), required=required)
