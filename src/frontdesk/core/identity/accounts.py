"""Accounts (tenants) and what an admin sets up in them: agents and inboxes."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.core.identity import signatures
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Account, Agent, Inbox, Role
from frontdesk.core.shared import events
from frontdesk.core.shared.addresses import normalise_address
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.shared.text import clean_name

_hasher = PasswordHasher()


def administers(actor: Actor) -> bool:
    """Owners and admins (their sessions carry the admin scope), and admin keys."""
    return actor.can(Scope.ADMIN)


def require_admin(actor: Actor) -> None:
    """Forbidden unless the actor administers the account (the settings screens)."""
    if not administers(actor):
        raise Forbidden("missing_scope", "Only owners and admins change the account's settings")


def create_account(uow: IdentityUnit, name: str) -> Account:
    now = now_ms()
    account = uow.accounts.insert_account(clean_name(name), "w" + secrets.token_hex(10), now)
    system = Actor(account_id=account.id, label="system")
    events.record(uow, system, events.SETTINGS_CHANGED, now, created=True)
    return account


def get_account(uow: IdentityUnit, account_id: int) -> Account:
    account = uow.accounts.get_account(account_id)
    if account is None:
        raise NotFound("account_not_found", f"No account {account_id}")
    return account


@dataclass(frozen=True)
class AgentFields:
    """What can be set on an agent; None means 'leave as it is' on update."""

    name: str | None = None
    email: str | None = None
    role: Role | None = None
    picture_url: str | None = None
    department: str | None = None
    groups: Sequence[str] | None = None
    is_back_office: bool | None = None
    password: str | None = field(default=None, repr=False)
    inbox_ids: Sequence[int] | None = None
    locale: str | None = None  # "" follows the browser
    time_zone: str | None = None  # "" is the installation's default


def create_agent(uow: IdentityUnit, actor: Actor, fields: AgentFields) -> Agent:
    if fields.name is None or fields.email is None:
        raise Invalid("required", "An agent needs a name and an e-mail address")
    email = normalise_address(fields.email)
    if uow.accounts.find_agent_by_email(actor.account_id, email) is not None:
        raise Conflict("agent_exists", f"An agent with e-mail {email} exists", field="email")
    now = now_ms()
    values = _agent_changes(uow, actor, fields)
    values.update(account_id=actor.account_id, email=email, created=now, uuid=str(uuid.uuid4()))
    values.setdefault("role", Role.AGENT)
    values.setdefault("groups", ())
    values.setdefault("is_back_office", False)
    agent = uow.accounts.insert_agent(values)
    if fields.inbox_ids is not None:
        uow.accounts.set_agent_inboxes(agent.id, _own_inboxes(uow, actor, fields.inbox_ids))
        agent = get_agent(uow, actor, agent.id)
    events.record(uow, actor, "agent.created", now, agent_id=agent.id)
    return agent


def update_agent(uow: IdentityUnit, actor: Actor, agent_id: int, fields: AgentFields) -> Agent:
    agent = get_agent(uow, actor, agent_id)
    if fields.role is not None and fields.role != agent.role and actor.agent_id == agent.id:
        raise Forbidden("own_role", "Agents cannot change their own role", field="role")
    values = _agent_changes(uow, actor, fields)
    if fields.email is not None:
        email = normalise_address(fields.email)
        other = uow.accounts.find_agent_by_email(actor.account_id, email)
        if other is not None and other.id != agent.id:
            raise Conflict("agent_exists", f"An agent with e-mail {email} exists", field="email")
        values["email"] = email
    if agent.role is Role.OWNER and values.get("role", Role.OWNER) is not Role.OWNER:
        keep_an_owner(uow, actor, agent.id)
    if values:
        uow.accounts.update_agent(agent.id, values)
    if fields.inbox_ids is not None:
        uow.accounts.set_agent_inboxes(agent.id, _own_inboxes(uow, actor, fields.inbox_ids))
    events.record(uow, actor, "agent.updated", now_ms(), agent_id=agent.id)
    return get_agent(uow, actor, agent.id)


def _agent_changes(uow: IdentityUnit, actor: Actor, fields: AgentFields) -> dict[str, object]:
    values: dict[str, object] = {}
    if fields.name is not None:
        values["name"] = clean_name(fields.name)
    if fields.role is not None:
        values["role"] = fields.role
    if fields.picture_url is not None:
        values["picture_url"] = fields.picture_url or None
    if fields.department is not None:
        values["department"] = fields.department or None
    if fields.groups is not None:
        values["groups"] = tuple(clean_name(group, field="groups") for group in fields.groups)
        if any("," in group for group in values["groups"]):  # type: ignore[attr-defined]
            raise Invalid("invalid_group", "Group names cannot contain commas", field="groups")
    if fields.is_back_office is not None:
        values["is_back_office"] = fields.is_back_office
    if fields.locale is not None:
        values["locale"] = _locale(fields.locale)
    if fields.time_zone is not None:
        values["time_zone"] = checked_time_zone(fields.time_zone)
    if fields.password is not None:
        if len(fields.password) < 10:
            raise Invalid(
                "weak_password", "Passwords need at least 10 characters", field="password"
            )
        values["password_hash"] = _hasher.hash(fields.password)
    return values


def _locale(tag: str) -> str:
    tag = tag.strip()
    if tag and not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", tag[:16]):
        raise Invalid("invalid_locale", "Not a language tag", field="locale")
    return tag[:16]


def checked_time_zone(name: str) -> str:
    """An IANA zone name, trimmed; empty stays empty (the default); Invalid otherwise."""
    name = name.strip()
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("invalid_time_zone", "Not a known time zone", field="time_zone") from None
    return name


def keep_an_owner(uow: IdentityUnit, actor: Actor, leaving_id: int) -> None:
    """Conflict if the agent leaving is the account's last active owner."""
    owners = [
        a
        for a in uow.accounts.list_agents(actor.account_id)
        if a.role is Role.OWNER and a.deactivated is None
    ]
    if [owner.id for owner in owners] == [leaving_id]:
        raise Conflict("last_owner", "An account keeps at least one owner", field="role")


def _own_inboxes(uow: IdentityUnit, actor: Actor, inbox_ids: Sequence[int]) -> list[int]:
    unique = sorted(set(inbox_ids))
    for inbox_id in unique:
        get_inbox(uow, actor, inbox_id)
    return unique


def find_agent(uow: IdentityUnit, account_id: int, agent_id: int) -> Agent | None:
    """The account's agent with this id, or None."""
    return uow.accounts.get_agent(account_id, agent_id)


def agents_by_id(uow: IdentityUnit, account_id: int, agent_ids: Sequence[int]) -> dict[int, Agent]:
    """The account's agents among these ids; ids of no agent (or another account's) are left out."""
    return uow.accounts.get_agents(account_id, agent_ids)


def get_agent(uow: IdentityUnit, actor: Actor, agent_id: int) -> Agent:
    agent = uow.accounts.get_agent(actor.account_id, agent_id)
    if agent is None:
        raise NotFound("agent_not_found", f"No agent {agent_id}")
    return agent


def agent_by_uuid(
    uow: IdentityUnit, actor: Actor, agent_uuid: str, *, field: str | None = None
) -> Agent:
    """The account's agent with this public id (an account has tens of agents: a scan of
    them costs less than keeping another index for the rare lookup)."""
    for agent in uow.accounts.list_agents(actor.account_id):
        if agent.uuid == agent_uuid:
            return agent
    raise NotFound("agent_not_found", f"No agent {agent_uuid[:40]}", field=field)


def agent_uuids(uow: IdentityUnit, actor: Actor) -> dict[int, str]:
    """Every agent's public id by row id: they never change, so callers may keep them."""
    return {agent.id: agent.uuid for agent in uow.accounts.list_agents(actor.account_id)}


def find_agent_by_email(uow: IdentityUnit, actor: Actor, email: str) -> Agent:
    agent = uow.accounts.find_agent_by_email(actor.account_id, email.strip())
    if agent is None:
        raise NotFound("agent_not_found", f"No agent with e-mail {email[:80]!r}", field="email")
    return agent


def verify_password(agent: Agent, password: str) -> bool:
    if not agent.password_hash:
        return False
    return check_password(agent.password_hash, password)


def check_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches an argon2 hash (constant time within argon2)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_inbox(
    uow: IdentityUnit, actor: Actor, name: str, email: str, auto_reply: str | None = None
) -> Inbox:
    address = normalise_address(email)
    if uow.accounts.find_inbox_by_email(address) is not None:
        raise Conflict("inbox_exists", f"The address {address} is taken", field="email")
    now = now_ms()
    inbox = uow.accounts.insert_inbox(
        {
            "account_id": actor.account_id,
            "name": clean_name(name),
            "email": address,
            "auto_reply": auto_reply or None,
            "created": now,
        }
    )
    events.record(uow, actor, "inbox.created", now, inbox_id=inbox.id)
    return inbox


def update_inbox(
    uow: IdentityUnit,
    actor: Actor,
    inbox_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    auto_reply: str | None = None,
    signature: str | None = None,
) -> Inbox:
    inbox = get_inbox(uow, actor, inbox_id)
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if email is not None:
        address = normalise_address(email)
        other = uow.accounts.find_inbox_by_email(address)
        if other is not None and other.id != inbox.id:
            raise Conflict("inbox_exists", f"The address {address} is taken", field="email")
        changes["email"] = address
    if auto_reply is not None:
        changes["auto_reply"] = auto_reply or None
    if signature is not None:
        changes["signature"] = signatures.checked_signature(signature)
    if changes:
        inbox = uow.accounts.update_inbox(inbox.id, changes)
        events.record(uow, actor, "inbox.updated", now_ms(), inbox_id=inbox.id)
    return inbox


def delete_inbox(uow: IdentityUnit, actor: Actor, inbox_id: int) -> None:
    inbox = get_inbox(uow, actor, inbox_id)
    if uow.accounts.inbox_in_use(inbox.id):
        raise Conflict("inbox_in_use", "Tickets belong to this inbox; it cannot be deleted")
    uow.accounts.delete_inbox(inbox.id)
    events.record(uow, actor, "inbox.deleted", now_ms(), inbox_id=inbox.id)


def get_inbox(uow: IdentityUnit, actor: Actor, inbox_id: int) -> Inbox:
    inbox = uow.accounts.get_inbox(actor.account_id, inbox_id)
    if inbox is None:
        raise NotFound("inbox_not_found", f"No inbox {inbox_id}")
    return inbox


def find_inbox(uow: IdentityUnit, account_id: int, inbox_id: int) -> Inbox | None:
    return uow.accounts.get_inbox(account_id, inbox_id)


def inbox_with_address(uow: IdentityUnit, email: str) -> Inbox | None:
    """Whichever account's inbox has this address (an address names one inbox in all)."""
    return uow.accounts.find_inbox_by_email(email)


def inboxes_of(uow: IdentityUnit, account_id: int) -> list[Inbox]:
    return uow.accounts.list_inboxes(account_id)


def default_inbox(uow: IdentityUnit, account_id: int) -> Inbox | None:
    """The account's first inbox: where a ticket that names none is filed, and where its
    mail leaves from."""
    inboxes = uow.accounts.list_inboxes(account_id)
    return min(inboxes, key=lambda inbox: inbox.id) if inboxes else None


def inbox_by_address(uow: IdentityUnit, actor: Actor, email: str) -> Inbox:
    """The account's inbox with that address; another account's inbox is not found."""
    inbox = uow.accounts.find_inbox_by_email(email.strip())
    if inbox is None or inbox.account_id != actor.account_id:
        raise NotFound("inbox_not_found", f"No inbox with address {email[:80]!r}", field="toEmail")
    return inbox


def list_agents(uow: IdentityUnit, actor: Actor) -> list[Agent]:
    return uow.accounts.list_agents(actor.account_id)


def list_inboxes(uow: IdentityUnit, actor: Actor) -> list[Inbox]:
    return uow.accounts.list_inboxes(actor.account_id)


def agent_seen(uow: IdentityUnit, actor: Actor, agent: Agent) -> None:
    """Stamp an agent's last activity, at most once a minute (grabAgent agentLastActive)."""
    now = now_ms()
    if agent.last_active is None or now - agent.last_active > 60_000:
        uow.accounts.update_agent(agent.id, {"last_active": now})
