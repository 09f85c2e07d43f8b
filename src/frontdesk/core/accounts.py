"""Accounts (tenants) and what an admin sets up in them: agents, inboxes, lists, contacts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.core import events
from frontdesk.core.addresses import normalise_address
from frontdesk.core.clock import now_ms
from frontdesk.core.errors import Conflict, Invalid, NotFound
from frontdesk.core.models import Account, Actor, Agent, Contact, Inbox, Named, Role
from frontdesk.core.ports import Repo

NAMED_KINDS = ("category", "department", "custom_field")
_hasher = PasswordHasher()


def _name(value: str, *, field: str = "name", limit: int = 200) -> str:
    value = value.strip()
    if not value:
        raise Invalid("required", f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Invalid("too_long", f"{field} is longer than {limit} characters", field=field)
    return value


# -- accounts --------------------------------------------------------------------------------


def create_account(repo: Repo, name: str) -> Account:
    now = now_ms()
    account = repo.insert_account(_name(name), "w" + secrets.token_hex(10), now)
    system = Actor(account_id=account.id, label="system")
    events.record(repo, system, events.SETTINGS_CHANGED, now, created=True)
    return account


def get_account(repo: Repo, account_id: int) -> Account:
    account = repo.get_account(account_id)
    if account is None:
        raise NotFound("account_not_found", f"No account {account_id}")
    return account


def rename_account(repo: Repo, actor: Actor, name: str) -> Account:
    account = repo.update_account(actor.account_id, {"name": _name(name)})
    events.record(repo, actor, events.SETTINGS_CHANGED, now_ms(), name=account.name)
    return account


# -- agents ----------------------------------------------------------------------------------


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


def create_agent(repo: Repo, actor: Actor, fields: AgentFields) -> Agent:
    if fields.name is None or fields.email is None:
        raise Invalid("required", "An agent needs a name and an e-mail address")
    email = normalise_address(fields.email)
    if repo.find_agent_by_email(actor.account_id, email) is not None:
        raise Conflict("agent_exists", f"An agent with e-mail {email} exists", field="email")
    now = now_ms()
    values = _agent_changes(repo, actor, fields)
    values.update(account_id=actor.account_id, email=email, created=now)
    values.setdefault("role", Role.AGENT)
    values.setdefault("groups", ())
    values.setdefault("is_back_office", False)
    agent = repo.insert_agent(values)
    if fields.inbox_ids is not None:
        repo.set_agent_inboxes(agent.id, _own_inboxes(repo, actor, fields.inbox_ids))
        agent = get_agent(repo, actor, agent.id)
    events.record(repo, actor, "agent.created", now, agent_id=agent.id)
    return agent


def update_agent(repo: Repo, actor: Actor, agent_id: int, fields: AgentFields) -> Agent:
    agent = get_agent(repo, actor, agent_id)
    values = _agent_changes(repo, actor, fields)
    if fields.email is not None:
        email = normalise_address(fields.email)
        other = repo.find_agent_by_email(actor.account_id, email)
        if other is not None and other.id != agent.id:
            raise Conflict("agent_exists", f"An agent with e-mail {email} exists", field="email")
        values["email"] = email
    if agent.role is Role.OWNER and values.get("role", Role.OWNER) is not Role.OWNER:
        _keep_an_owner(repo, actor, agent.id)
    if values:
        repo.update_agent(agent.id, values)
    if fields.inbox_ids is not None:
        repo.set_agent_inboxes(agent.id, _own_inboxes(repo, actor, fields.inbox_ids))
    events.record(repo, actor, "agent.updated", now_ms(), agent_id=agent.id)
    return get_agent(repo, actor, agent.id)


def _agent_changes(repo: Repo, actor: Actor, fields: AgentFields) -> dict[str, object]:
    values: dict[str, object] = {}
    if fields.name is not None:
        values["name"] = _name(fields.name)
    if fields.role is not None:
        values["role"] = fields.role
    if fields.picture_url is not None:
        values["picture_url"] = fields.picture_url or None
    if fields.department is not None:
        values["department"] = fields.department or None
    if fields.groups is not None:
        values["groups"] = tuple(_name(group, field="groups") for group in fields.groups)
        if any("," in group for group in values["groups"]):  # type: ignore[attr-defined]
            raise Invalid("invalid_group", "Group names cannot contain commas", field="groups")
    if fields.is_back_office is not None:
        values["is_back_office"] = fields.is_back_office
    if fields.password is not None:
        if len(fields.password) < 10:
            raise Invalid(
                "weak_password", "Passwords need at least 10 characters", field="password"
            )
        values["password_hash"] = _hasher.hash(fields.password)
    return values


def _keep_an_owner(repo: Repo, actor: Actor, leaving_id: int) -> None:
    owners = [a for a in repo.list_agents(actor.account_id) if a.role is Role.OWNER]
    if [owner.id for owner in owners] == [leaving_id]:
        raise Conflict("last_owner", "An account keeps at least one owner", field="role")


def _own_inboxes(repo: Repo, actor: Actor, inbox_ids: Sequence[int]) -> list[int]:
    unique = sorted(set(inbox_ids))
    for inbox_id in unique:
        get_inbox(repo, actor, inbox_id)
    return unique


def get_agent(repo: Repo, actor: Actor, agent_id: int) -> Agent:
    agent = repo.get_agent(actor.account_id, agent_id)
    if agent is None:
        raise NotFound("agent_not_found", f"No agent {agent_id}")
    return agent


def find_agent_by_email(repo: Repo, actor: Actor, email: str) -> Agent:
    agent = repo.find_agent_by_email(actor.account_id, email.strip())
    if agent is None:
        raise NotFound("agent_not_found", f"No agent with e-mail {email[:80]!r}", field="email")
    return agent


def verify_password(agent: Agent, password: str) -> bool:
    if not agent.password_hash:
        return False
    try:
        return _hasher.verify(agent.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# -- inboxes ---------------------------------------------------------------------------------


def create_inbox(
    repo: Repo, actor: Actor, name: str, email: str, auto_reply: str | None = None
) -> Inbox:
    address = normalise_address(email)
    if repo.find_inbox_by_email(address) is not None:
        raise Conflict("inbox_exists", f"The address {address} is taken", field="email")
    now = now_ms()
    inbox = repo.insert_inbox(
        {
            "account_id": actor.account_id,
            "name": _name(name),
            "email": address,
            "auto_reply": auto_reply or None,
            "created": now,
        }
    )
    events.record(repo, actor, "inbox.created", now, inbox_id=inbox.id)
    return inbox


def update_inbox(
    repo: Repo,
    actor: Actor,
    inbox_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    auto_reply: str | None = None,
) -> Inbox:
    inbox = get_inbox(repo, actor, inbox_id)
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _name(name)
    if email is not None:
        address = normalise_address(email)
        other = repo.find_inbox_by_email(address)
        if other is not None and other.id != inbox.id:
            raise Conflict("inbox_exists", f"The address {address} is taken", field="email")
        changes["email"] = address
    if auto_reply is not None:
        changes["auto_reply"] = auto_reply or None
    if changes:
        inbox = repo.update_inbox(inbox.id, changes)
        events.record(repo, actor, "inbox.updated", now_ms(), inbox_id=inbox.id)
    return inbox


def delete_inbox(repo: Repo, actor: Actor, inbox_id: int) -> None:
    inbox = get_inbox(repo, actor, inbox_id)
    if repo.inbox_in_use(inbox.id):
        raise Conflict("inbox_in_use", "Tickets belong to this inbox; it cannot be deleted")
    repo.delete_inbox(inbox.id)
    events.record(repo, actor, "inbox.deleted", now_ms(), inbox_id=inbox.id)


def get_inbox(repo: Repo, actor: Actor, inbox_id: int) -> Inbox:
    inbox = repo.get_inbox(actor.account_id, inbox_id)
    if inbox is None:
        raise NotFound("inbox_not_found", f"No inbox {inbox_id}")
    return inbox


def inbox_by_address(repo: Repo, actor: Actor, email: str) -> Inbox:
    """The account's inbox with that address; another account's inbox is not found."""
    inbox = repo.find_inbox_by_email(email.strip())
    if inbox is None or inbox.account_id != actor.account_id:
        raise NotFound("inbox_not_found", f"No inbox with address {email[:80]!r}", field="toEmail")
    return inbox


# -- categories, departments, custom field definitions -----------------------------------------


def create_named(repo: Repo, actor: Actor, kind: str, name: str) -> Named:
    name = _name(name)
    if repo.find_named(kind, actor.account_id, name) is not None:
        raise Conflict(f"{kind}_exists", f"A {kind.replace('_', ' ')} named {name!r} exists")
    now = now_ms()
    named = repo.insert_named(kind, actor.account_id, name, now)
    events.record(repo, actor, f"{kind}.created", now, id=named.id, name=name)
    return named


def get_named(repo: Repo, actor: Actor, kind: str, row_id: int) -> Named:
    named = repo.get_named(kind, actor.account_id, row_id)
    if named is None:
        raise NotFound(f"{kind}_not_found", f"No {kind.replace('_', ' ')} {row_id}")
    return named


def find_named(repo: Repo, actor: Actor, kind: str, name: str) -> Named:
    named = repo.find_named(kind, actor.account_id, name.strip())
    if named is None:
        raise NotFound(f"{kind}_not_found", f"No {kind.replace('_', ' ')} named {name[:80]!r}")
    return named


def delete_named(repo: Repo, actor: Actor, kind: str, row_id: int) -> None:
    named = get_named(repo, actor, kind, row_id)
    if repo.named_in_use(kind, named.id):
        raise Conflict(f"{kind}_in_use", f"Tickets use this {kind.replace('_', ' ')}")
    repo.delete_named(kind, named.id)
    events.record(repo, actor, f"{kind}.deleted", now_ms(), id=named.id)


# -- contacts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactFields:
    email: str
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    external_id: str | None = None


def find_or_create_contact(repo: Repo, actor: Actor, fields: ContactFields) -> Contact:
    """The account's contact with that address, created on first sight; blanks filled in."""
    email = normalise_address(fields.email)
    known = repo.find_contact_by_email(actor.account_id, email)
    given = {
        "name": fields.name,
        "phone": fields.phone,
        "company": fields.company,
        "external_id": fields.external_id,
    }
    for key, value in given.items():
        if value and "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise Invalid("invalid_text", f"{key} contains a NUL character", field=key)
    if known is None:
        return repo.insert_contact(
            {"account_id": actor.account_id, "email": email, "created": now_ms(), **given}
        )
    missing = {key: value for key, value in given.items() if value and not getattr(known, key)}
    return repo.update_contact(known.id, missing) if missing else known


def get_contact(repo: Repo, actor: Actor, contact_id: int) -> Contact:
    contact = repo.get_contact(actor.account_id, contact_id)
    if contact is None:
        raise NotFound("contact_not_found", f"No contact {contact_id}")
    return contact


# -- listings ----------------------------------------------------------------------------------


def list_agents(repo: Repo, actor: Actor) -> list[Agent]:
    return repo.list_agents(actor.account_id)


def list_inboxes(repo: Repo, actor: Actor) -> list[Inbox]:
    return repo.list_inboxes(actor.account_id)


def list_named(repo: Repo, actor: Actor, kind: str) -> list[Named]:
    return repo.list_named(kind, actor.account_id)


def list_contacts(repo: Repo, actor: Actor, *, after_id: int, limit: int) -> list[Contact]:
    return repo.list_contacts(actor.account_id, after_id=after_id, limit=limit)
