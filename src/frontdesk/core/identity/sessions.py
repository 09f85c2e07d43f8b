"""Signing agents in to the web app: sessions, throttled sign-in, password resets.

A session token reads `<public id>.<secret>`. The public id finds the row; only a SHA-256
of the secret is stored and compared in constant time (the secret has 256 bits, so a fast
hash is enough). A session ends when it is revoked (sign-out, a password reset, the agent
revoking it from their list), after `idle_ms` without a request, or at its absolute end.

Failed sign-ins and reset requests are counted per address and per client IP in the
database, the one state every server process shares, so a limit holds across them all.
Every answer to a wrong address or password reads the same, and an unknown address still
costs a password hash, so neither the answer nor its timing tells which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol, TypeVar

from frontdesk.core.identity import accounts
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import (
    Agent,
    PasswordReset,
    Role,
    SessionWithAgent,
    SignInStage,
    WebSession,
)
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, NotFound, RateLimited, Unauthenticated
from frontdesk.core.shared.records import ALL_SCOPES, Actor, Scope

SIGNIN = "signin"
RESET = "reset"
SESSION_STARTED = "session.started"
SESSION_ENDED = "session.ended"
PASSWORD_RESET_REQUESTED = "password.reset_requested"  # noqa: S105 (an event kind)
PASSWORD_RESET = "password.reset"  # noqa: S105 (an event kind)
# Stamping last_seen on every request would turn each page view into a write.
LAST_SEEN_RESOLUTION_MS = 60_000
_TOKEN = re.compile(r"^([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
AGENT_SCOPES = frozenset(
    {Scope.TICKETS_READ, Scope.TICKETS_WRITE, Scope.CHAT_READ, Scope.CHAT_WRITE}
)


@dataclass(frozen=True, slots=True)
class Policy:
    """How long sessions and reset links live, and how many failures are allowed."""

    idle_ms: int
    absolute_ms: int
    failures_per_address: int
    failures_per_ip: int
    window_ms: int
    reset_ms: int


@dataclass(frozen=True, slots=True)
class Client:
    """Where a sign-in comes from: the client's IP and its User-Agent (both only shown)."""

    ip: str
    user_agent: str = ""


@dataclass(frozen=True)
class Started:
    session: WebSession
    agent: Agent
    token: str  # for the cookie; shown once, never stored


@dataclass(frozen=True)
class Refused:
    """Sign-in failed: `retry_after` seconds set when too many attempts came first."""

    retry_after: int | None = None


@dataclass(frozen=True)
class SignedIn:
    """A valid session and its agent; `stale` when its last_seen stamp wants refreshing."""

    session: WebSession
    agent: Agent
    stale: bool
    account_time_zone: str = ""

    @property
    def time_zone(self) -> str:
        """The zone the agent's pages show: their own, else the account's (empty: the
        installation's default)."""
        return self.agent.time_zone or self.account_time_zone

    @property
    def actor(self) -> Actor:
        return agent_actor(self.agent)

    @property
    def stage(self) -> SignInStage:
        return SignInStage(self.session.stage)


@dataclass(frozen=True)
class ResetIssued:
    agent: Agent
    token: str
    expires: int
    id: int = 0  # the password_resets row


def agent_actor(agent: Agent) -> Actor:
    """An agent acting in the web app: every ticket and chat scope; admins also administer."""
    scopes = ALL_SCOPES if agent.role in (Role.OWNER, Role.ADMIN) else AGENT_SCOPES
    return Actor(
        account_id=agent.account_id, label=f"agent:{agent.id}", scopes=scopes, agent_id=agent.id
    )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_token() -> tuple[str, str, str]:
    """(public id, secret, token)."""
    public_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return public_id, secret, f"{public_id}.{secret}"


def _parse(token: str) -> tuple[str, str] | None:
    found = _TOKEN.match(token or "")
    return (found.group(1), found.group(2)) if found else None


Found = TypeVar("Found")


def verified_token(
    token: str, find: Callable[[str], Found | None], secret_hash: Callable[[Found], str]
) -> Found | None:
    """What a `<public id>.<secret>` token names, if its secret matches (constant time;
    an unknown id still hashes and compares, so timing tells nothing)."""
    parsed = _parse(token)
    if parsed is None:
        return None
    public_id, secret = parsed
    found = find(public_id)
    expected = secret_hash(found) if found is not None else hash_secret("no such token")
    return (
        found if hmac.compare_digest(expected, hash_secret(secret)) and found is not None else None
    )


def _session_hash(found: SessionWithAgent) -> str:
    return found[0].secret_hash


def _reset_hash(found: PasswordReset) -> str:
    return found.secret_hash


def address_key(email: str) -> str:
    return email.strip().lower()[:320]


@cache
def _decoy_hash() -> str:
    """A hash to verify against when no agent has the address: the same work either way."""
    return accounts.hash_password(secrets.token_urlsafe(16))


def attempt_wait(
    uow: IdentityUnit, kind: str, email: str, ip: str, policy: Policy, now: int
) -> int:
    """Seconds until another attempt of this kind is allowed; 0 when it is allowed now.
    (The second factor's codes count here too, under a kind of their own.)

    It first holds the address's and the IP's attempts until the transaction ends, so
    that simultaneous attempts (threads, processes behind a load balancer) count one after
    another, each seeing the ones before it recorded: never more than the limit through.
    """
    uow.sessions.hold_attempts(kind, email, ip)
    since = now - policy.window_ms
    waits = [0]
    for column, value, limit in (
        ("email", email, policy.failures_per_address),
        ("ip", ip, policy.failures_per_ip),
    ):
        times = uow.sessions.attempt_times(kind, column, value, since, limit)
        if len(times) >= limit:
            waits.append(max(1, -(-(times[0] + policy.window_ms - now) // 1000)))
    return max(waits)


def sign_in(
    uow: IdentityUnit, email: str, password: str, client: Client, policy: Policy
) -> Started | Refused:
    """A new session for the agent with this address and password, or why not.

    Returns rather than raises, so that a failure is recorded in the same transaction
    (an exception would roll the record back). An address that is an agent in several
    accounts signs in to the oldest whose password matches.
    """
    address, now = address_key(email), now_ms()
    wait = attempt_wait(uow, SIGNIN, address, client.ip, policy, now)
    if wait:
        return Refused(retry_after=wait)
    agent = _matching_agent(uow, address, password)
    if agent is None:
        uow.sessions.forget_attempts(now - max(policy.window_ms, 86_400_000))
        uow.sessions.record_attempt(SIGNIN, address, client.ip, now)
        return Refused()
    public_id, secret, token = new_token()
    session = uow.sessions.insert_session(
        {
            "account_id": agent.account_id,
            "agent_id": agent.id,
            "public_id": public_id,
            "secret_hash": hash_secret(secret),
            "user_agent": client.user_agent[:300],
            "ip": client.ip[:64],
            "created": now,
            "last_seen": now,
            "expires": now + policy.absolute_ms,
            "stage": _first_stage(uow, agent),
        }
    )
    accounts.agent_seen(uow, agent_actor(agent), agent)
    events.record(uow, agent_actor(agent), SESSION_STARTED, now, session_id=session.id)
    return Started(session, agent, token)


def _first_stage(uow: IdentityUnit, agent: Agent) -> SignInStage:
    """Where a right password leads: the second factor, enrolling one, or in."""
    if uow.two_factor.has_factor(agent.id):
        return SignInStage.VERIFY
    account = uow.accounts.get_account(agent.account_id)
    if account is not None and account.require_two_factor:
        return SignInStage.ENROL
    return SignInStage.DONE


def _matching_agent(uow: IdentityUnit, address: str, password: str) -> Agent | None:
    candidates = uow.accounts.agents_with_email(address) if address else []
    if not candidates:
        accounts.check_password(_decoy_hash(), password)
        return None
    for agent in candidates:
        if accounts.verify_password(agent, password) and agent.deactivated is None:
            return agent
    return None


def authenticate(uow: IdentityUnit, token: str, policy: Policy) -> SignedIn:
    """The session a cookie's token stands for; Unauthenticated when it is not valid now."""
    # The session and its agent in one read: the web app asks on every page.
    found = verified_token(token, uow.sessions.find_session_with_agent, _session_hash)
    now = now_ms()
    if found is None or not alive(found[0], policy, now):
        raise Unauthenticated("invalid_session", "Sign in to continue")
    session, agent, account_time_zone = found
    if agent is None or agent.deactivated is not None:
        raise Unauthenticated("invalid_session", "Sign in to continue")
    stale = now - session.last_seen > LAST_SEEN_RESOLUTION_MS
    return SignedIn(session, agent, stale, account_time_zone)


class Lived(Protocol):
    """A session's clocks: an agent's WebSession, a customer's PortalSession."""

    @property
    def revoked(self) -> int | None: ...

    @property
    def expires(self) -> int: ...

    @property
    def last_seen(self) -> int: ...


def alive(session: Lived, policy: Policy, now: int) -> bool:
    """Not revoked, before its absolute end, and used within the idle time."""
    return (
        session.revoked is None
        and now < session.expires
        and now < session.last_seen + policy.idle_ms
    )


def touch(uow: IdentityUnit, session_id: int) -> None:
    """Stamp a session's last request (the idle clock); not an event, like last_used."""
    uow.sessions.update_session(session_id, {"last_seen": now_ms()})


def list_sessions(uow: IdentityUnit, actor: Actor) -> list[WebSession]:
    """The signed-in agent's live sessions, newest first."""
    if actor.agent_id is None:
        return []
    return uow.sessions.list_sessions(actor.agent_id, now_ms())


def end_session(uow: IdentityUnit, actor: Actor, session_id: int) -> WebSession:
    """Revoke one of the actor's own sessions (sign-out, or one chosen from the list)."""
    session = next((s for s in list_sessions(uow, actor) if s.id == session_id), None)
    if session is None:
        raise NotFound("session_not_found", f"No session {session_id}")
    now = now_ms()
    events.record(uow, actor, SESSION_ENDED, now, session_id=session.id)
    return uow.sessions.update_session(session.id, {"revoked": now})


# -- password resets ------------------------------------------------------------------------------


def request_reset(
    uow: IdentityUnit, email: str, client: Client, policy: Policy
) -> list[ResetIssued]:
    """One-time links for the agents with this address (none for an unknown one).

    Every request counts against the same limits as failed sign-ins (of its own kind),
    so the form cannot be used to flood an inbox. RateLimited when over them.
    """
    address, now = address_key(email), now_ms()
    wait = attempt_wait(uow, RESET, address, client.ip, policy, now)
    if wait:
        raise RateLimited(
            "too_many_resets", "Too many reset requests; try again later", retry_after=wait
        )
    uow.sessions.record_attempt(RESET, address, client.ip, now)
    issued = []
    for agent in uow.accounts.agents_with_email(address) if address else []:
        if agent.deactivated is not None:
            continue
        link = issue_link(uow, agent, now + policy.reset_ms)
        events.record(uow, agent_actor(agent), PASSWORD_RESET_REQUESTED, now, reset_id=link.id)
        issued.append(link)
    return issued


def issue_link(uow: IdentityUnit, agent: Agent, expires: int) -> ResetIssued:
    """A one-time link for `agent` to choose a password, valid until `expires`: a reset,
    or an invitation (core.identity.team). Only its hash is stored."""
    public_id, secret, token = new_token()
    reset = uow.sessions.insert_reset(
        {
            "account_id": agent.account_id,
            "agent_id": agent.id,
            "public_id": public_id,
            "secret_hash": hash_secret(secret),
            "created": now_ms(),
            "expires": expires,
        }
    )
    return ResetIssued(agent, token, expires, reset.id)


def check_reset(uow: IdentityUnit, token: str) -> PasswordReset:
    """The reset a link stands for, if it can still be used; NotFound otherwise."""
    reset = verified_token(token, uow.sessions.find_reset, _reset_hash)
    if reset is None or reset.used is not None or now_ms() >= reset.expires:
        raise NotFound("reset_not_found", "This link has expired or was used already")
    return reset


def reset_password(uow: IdentityUnit, token: str, password: str) -> Agent:
    """Set a new password through a reset link, once; every session of the agent ends."""
    reset = check_reset(uow, token)
    now = now_ms()
    if not uow.sessions.use_reset(reset.id, now):
        raise Conflict("reset_used", "This link was used already")
    agent = accounts.find_agent(uow, reset.account_id, reset.agent_id)
    if agent is None:
        raise NotFound("reset_not_found", "This link is not valid")
    actor = agent_actor(agent)
    agent = accounts.update_agent(uow, actor, agent.id, AgentFields(password=password))
    uow.sessions.revoke_sessions(agent.id, now)
    events.record(uow, actor, PASSWORD_RESET, now, reset_id=reset.id)
    return agent
