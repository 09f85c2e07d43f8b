"""Accounts, the agents and inboxes in them, and the credentials that act for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from frontdesk.core.shared.records import Scope


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class CredentialKind(StrEnum):
    API_KEY = "api_key"  # a developer's key, scoped
    CUSTOMER = "customer"  # a customer token, bound to one contact
    PERSONAL = "personal"  # an agent's own token: acts as that agent, within its scopes


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    public_id: str
    created: int
    require_two_factor: bool = False
    time_zone: str = ""  # IANA name; empty: the installation's default
    language: str = ""  # customers' language when theirs is unknown; empty: English
    logo_blob: str | None = None  # the logo's name in the blob store
    logo_type: str | None = None  # its media type, from its bytes


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    account_id: int
    name: str
    email: str
    role: Role
    picture_url: str | None
    department: str | None
    groups: tuple[str, ...]
    is_back_office: bool
    last_active: int | None
    created: int
    inbox_ids: tuple[int, ...] = ()
    password_hash: str | None = field(default=None, repr=False)
    uuid: str = ""  # public id (InboxOps user ids)
    locale: str = ""  # the web app's language; empty follows the browser
    time_zone: str = ""  # empty: the installation's default
    deactivated: int | None = None  # when an admin deactivated them: no sign-in since


@dataclass(frozen=True, slots=True)
class Inbox:
    id: int
    account_id: int
    name: str
    email: str
    auto_reply: str | None
    created: int
    signature: str | None = None  # appended to agents' mailed replies (core/mail/outbox)


@dataclass(frozen=True, slots=True)
class Credential:
    id: int
    account_id: int
    kind: CredentialKind
    name: str
    key_id: str
    scopes: frozenset[Scope]
    contact_id: int | None
    created: int
    last_used: int | None
    revoked: int | None
    secret_hash: str = field(default="", repr=False)
    agent_id: int | None = None  # a personal token's agent


@dataclass(frozen=True, slots=True)
class WebSession:
    """A browser an agent signed in with; revocable, with idle and absolute expiry."""

    id: int
    account_id: int
    agent_id: int
    public_id: str
    user_agent: str
    ip: str
    created: int
    last_seen: int
    expires: int
    revoked: int | None
    secret_hash: str = field(default="", repr=False)
    stage: str = ""  # SignInStage's value
    challenge: str | None = field(default=None, repr=False)


class SignInStage(StrEnum):
    """How far a session got: signed in, or held at the second factor."""

    DONE = ""
    VERIFY = "verify"  # password right; the second factor comes next
    ENROL = "enrol"  # the owner requires a second factor and the agent has none yet


@dataclass(frozen=True, slots=True)
class Totp:
    """An agent's authenticator app; `secret` is sealed (services/sealing.py)."""

    agent_id: int
    account_id: int
    created: int
    confirmed: int | None
    last_step: int
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Passkey:
    """A passkey or security key (WebAuthn): public material only."""

    id: int
    account_id: int
    agent_id: int
    name: str
    credential_id: str  # base64url
    public_key: str  # base64url COSE key
    sign_count: int
    created: int
    last_used: int | None


@dataclass(frozen=True, slots=True)
class PasswordReset:
    id: int
    account_id: int
    agent_id: int
    public_id: str
    created: int
    expires: int
    used: int | None
    secret_hash: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class PortalLink:
    """A one-time link that signs a customer (a contact) in to the account's portal."""

    id: int
    account_id: int
    contact_id: int
    public_id: str
    created: int
    expires: int
    used: int | None
    secret_hash: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class PortalSession:
    """A customer's browser signed in to the portal; apart from agents' WebSessions."""

    id: int
    account_id: int
    contact_id: int
    public_id: str
    created: int
    last_seen: int
    expires: int
    revoked: int | None
    secret_hash: str = field(default="", repr=False)


class SessionWithAgent(NamedTuple):
    """What a session cookie names, read in one statement on every page."""

    session: WebSession
    agent: Agent | None  # None when the agent is gone
    account_time_zone: str  # the account's zone, for an agent without one of their own
