"""What an admin does to the team in the settings screens: invite an agent, change their
role and inboxes, deactivate and reactivate them, see and end their sessions.

Each function checks that the actor administers the account, works only on the actor's
own account (another account's agent is not found), and records an event, so the audit
log shows who did it.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.core.identity import accounts, credentials, sessions
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.ports import IdentityUnit
from frontdesk.core.identity.records import Agent, Role, WebSession
from frontdesk.core.identity.sessions import ResetIssued
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.shared.records import Actor

INVITATION_MS = 7 * 86_400_000  # how long an invitation's link works
AGENT_INVITED = "agent.invited"
AGENT_DEACTIVATED = "agent.deactivated"
AGENT_REACTIVATED = "agent.reactivated"


def invite_agent(uow: IdentityUnit, actor: Actor, name: str, email: str, role: Role) -> ResetIssued:
    """A new agent without a password, and a one-time link for them to choose one.

    The caller mails the link (core.mail.notices.invite_agent queues it in the same
    transaction). Until they use it, the agent cannot sign in.
    """
    accounts.require_admin(actor)
    agent = accounts.create_agent(uow, actor, AgentFields(name=name, email=email, role=role))
    link = sessions.issue_link(uow, agent, now_ms() + INVITATION_MS)
    events.record(uow, actor, AGENT_INVITED, now_ms(), agent_id=agent.id, reset_id=link.id)
    return link


def change_agent(
    uow: IdentityUnit, actor: Actor, agent_id: int, role: Role, inbox_ids: Sequence[int]
) -> Agent:
    """An admin sets an agent's role and the inboxes they may work in (none: all).
    An agent's own role is theirs to keep: Forbidden (accounts.update_agent)."""
    accounts.require_admin(actor)
    return accounts.update_agent(
        uow, actor, agent_id, AgentFields(role=role, inbox_ids=tuple(inbox_ids))
    )


def deactivate_agent(uow: IdentityUnit, actor: Actor, agent_id: int) -> Agent:
    """The agent can no longer sign in, and every session and personal token of theirs
    ends now. Their
    tickets, messages and history stay theirs."""
    accounts.require_admin(actor)
    agent = accounts.get_agent(uow, actor, agent_id)
    if agent.id == actor.agent_id:
        raise Conflict("own_account", "You cannot deactivate yourself")
    if agent.deactivated is not None:
        return agent
    if agent.role is Role.OWNER:
        accounts.keep_an_owner(uow, actor, agent.id)
    now = now_ms()
    uow.accounts.update_agent(agent.id, {"deactivated": now})
    ended = uow.sessions.revoke_sessions(agent.id, now)
    credentials.revoke_agent_tokens(uow, actor, agent.id)  # their scripts stop with them
    events.record(uow, actor, AGENT_DEACTIVATED, now, agent_id=agent.id, sessions_ended=ended)
    return accounts.get_agent(uow, actor, agent.id)


def reactivate_agent(uow: IdentityUnit, actor: Actor, agent_id: int) -> Agent:
    accounts.require_admin(actor)
    agent = accounts.get_agent(uow, actor, agent_id)
    if agent.deactivated is None:
        return agent
    uow.accounts.update_agent(agent.id, {"deactivated": None})
    events.record(uow, actor, AGENT_REACTIVATED, now_ms(), agent_id=agent.id)
    return accounts.get_agent(uow, actor, agent.id)


def agent_sessions(uow: IdentityUnit, actor: Actor, agent_id: int) -> list[WebSession]:
    """The agent's live sessions, newest first (an admin's view of someone's sign-ins)."""
    accounts.require_admin(actor)
    agent = accounts.get_agent(uow, actor, agent_id)
    return uow.sessions.list_sessions(agent.id, now_ms())


def end_agent_session(uow: IdentityUnit, actor: Actor, agent_id: int, session_id: int) -> None:
    """An admin ends one of an agent's sessions: that browser is signed out at once."""
    found = [s for s in agent_sessions(uow, actor, agent_id) if s.id == session_id]
    if not found:
        raise NotFound("session_not_found", f"No session {session_id}")
    now = now_ms()
    uow.sessions.update_session(session_id, {"revoked": now})
    events.record(uow, actor, sessions.SESSION_ENDED, now, session_id=session_id, agent_id=agent_id)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid("invalid_role", "owner, admin or agent", field="role") from None
