"""Accounts, the agents and inboxes in them, and the credentials that act for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from frontdesk.core.shared.records import Scope


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class CredentialKind(StrEnum):
    API_KEY = "api_key"  # a developer's key, scoped
    CUSTOMER = "customer"  # a customer token, bound to one contact


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    public_id: str
    created: int


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


@dataclass(frozen=True, slots=True)
class Inbox:
    id: int
    account_id: int
    name: str
    email: str
    auto_reply: str | None
    created: int


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
