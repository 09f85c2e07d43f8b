"""Accounts with their agents and inboxes, and credentials (core.identity's ports)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    LABEL_STYLE_TABLENAME_PLUS_COL,
    Connection,
    Select,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)

from frontdesk.core.identity.records import (
    Account,
    Agent,
    Credential,
    CredentialKind,
    Inbox,
    PasswordReset,
    Role,
    WebSession,
)
from frontdesk.core.shared.records import Scope
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage._sql import account_from_row, insert_row, one_in_account, update_row

# An agent's row with its inbox ids ("3,7") in the same statement: the web app reads the
# signed-in agent and the team on every page, and each second statement was a round trip.
_INBOX_LIST = (
    select(func.aggregate_strings(cast(t.agent_inboxes.c.inbox_id, String), ","))
    .where(t.agent_inboxes.c.agent_id == t.agents.c.id)
    .scalar_subquery()
    .label("inbox_list")
)
_AGENTS: Select[Any] = select(t.agents, _INBOX_LIST)
_ONE_AGENT = _AGENTS.where(
    t.agents.c.account_id == bindparam("account_id"), t.agents.c.id == bindparam("agent_id")
)
_TEAM = _AGENTS.where(t.agents.c.account_id == bindparam("account_id")).order_by(t.agents.c.id)

_SESSION_WITH_AGENT = (
    select(t.web_sessions, t.agents, _INBOX_LIST)
    .select_from(
        t.web_sessions.outerjoin(
            t.agents,
            (t.agents.c.id == t.web_sessions.c.agent_id)
            & (t.agents.c.account_id == t.web_sessions.c.account_id),
        )
    )
    .where(t.web_sessions.c.public_id == bindparam("public_id"))
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
)


def _columns_of(row: Any, table: Table) -> SimpleNamespace:
    """One table's columns of a joined row labelled `<table>_<column>`, by their own names
    (and the agent's `inbox_list`, which keeps its label)."""
    values = row._mapping
    named = {column.name: values[f"{table.name}_{column.name}"] for column in table.columns}
    return SimpleNamespace(**named, inbox_list=values.get("inbox_list"))


class SqlAccounts:
    """Accounts, agents and inbox addresses."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_account(self, name: str, public_id: str, now: int) -> Account:
        row = insert_row(
            self.conn, t.accounts, {"name": name, "public_id": public_id, "created": now}
        )
        return account_from_row(row)

    def get_account(self, account_id: int) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(t.accounts.c.id == account_id)
        ).one_or_none()
        return account_from_row(row) if row else None

    def update_account(self, account_id: int, changes: Mapping[str, Any]) -> Account:
        return account_from_row(update_row(self.conn, t.accounts, account_id, changes))

    def account_by_public_id(self, public_id: str) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(t.accounts.c.public_id == public_id)
        ).one_or_none()
        return account_from_row(row) if row else None

    def insert_agent(self, values: Mapping[str, Any]) -> Agent:
        return self._agent(insert_row(self.conn, t.agents, _agent_values(values)))

    def update_agent(self, agent_id: int, changes: Mapping[str, Any]) -> Agent:
        return self._agent(update_row(self.conn, t.agents, agent_id, _agent_values(changes)))

    def get_agent(self, account_id: int, agent_id: int) -> Agent | None:
        params = {"account_id": account_id, "agent_id": agent_id}
        row = self.conn.execute(_ONE_AGENT, params).one_or_none()
        return _listed_agent(row) if row else None

    def find_agent_by_email(self, account_id: int, email: str) -> Agent | None:
        row = self.conn.execute(
            _AGENTS.where(
                t.agents.c.account_id == account_id, func.lower(t.agents.c.email) == email.lower()
            )
        ).one_or_none()
        return _listed_agent(row) if row else None

    def agents_with_email(self, email: str) -> list[Agent]:
        rows = self.conn.execute(
            _AGENTS.where(func.lower(t.agents.c.email) == email.lower())
            .order_by(t.agents.c.id)
            .limit(20)
        ).all()
        return [_listed_agent(row) for row in rows]

    def list_agents(self, account_id: int) -> list[Agent]:
        rows = self.conn.execute(_TEAM, {"account_id": account_id}).all()
        return [_listed_agent(row) for row in rows]

    def set_agent_inboxes(self, agent_id: int, inbox_ids: Sequence[int]) -> None:
        self.conn.execute(delete(t.agent_inboxes).where(t.agent_inboxes.c.agent_id == agent_id))
        if inbox_ids:
            self.conn.execute(
                insert(t.agent_inboxes),
                [{"agent_id": agent_id, "inbox_id": inbox_id} for inbox_id in inbox_ids],
            )

    def _agent(self, row: Any) -> Agent:
        return _agent(row, self._agent_inboxes([row.id]).get(row.id, ()))

    def _agent_inboxes(self, agent_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        if not agent_ids:
            return {}
        found: dict[int, list[int]] = defaultdict(list)
        for agent_id, inbox_id in self.conn.execute(
            select(t.agent_inboxes.c.agent_id, t.agent_inboxes.c.inbox_id)
            .where(t.agent_inboxes.c.agent_id.in_(agent_ids))
            .order_by(t.agent_inboxes.c.inbox_id)
        ):
            found[agent_id].append(inbox_id)
        return {key: tuple(value) for key, value in found.items()}

    def get_agents(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, Agent]:
        if not agent_ids:
            return {}
        rows = self.conn.execute(
            _AGENTS.where(t.agents.c.account_id == account_id, t.agents.c.id.in_(agent_ids))
        ).all()
        return {row.id: _listed_agent(row) for row in rows}

    def insert_inbox(self, values: Mapping[str, Any]) -> Inbox:
        return _inbox(insert_row(self.conn, t.inboxes, values))

    def update_inbox(self, inbox_id: int, changes: Mapping[str, Any]) -> Inbox:
        return _inbox(update_row(self.conn, t.inboxes, inbox_id, changes))

    def get_inbox(self, account_id: int, inbox_id: int) -> Inbox | None:
        row = one_in_account(self.conn, t.inboxes, account_id, inbox_id)
        return _inbox(row) if row else None

    def find_inbox_by_email(self, email: str) -> Inbox | None:
        row = self.conn.execute(
            select(t.inboxes).where(func.lower(t.inboxes.c.email) == email.lower())
        ).one_or_none()
        return _inbox(row) if row else None

    def list_inboxes(self, account_id: int) -> list[Inbox]:
        rows = self.conn.execute(
            select(t.inboxes).where(t.inboxes.c.account_id == account_id).order_by(t.inboxes.c.id)
        ).all()
        return [_inbox(row) for row in rows]

    def delete_inbox(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.agent_inboxes).where(t.agent_inboxes.c.inbox_id == inbox_id))
        self.conn.execute(delete(t.inboxes).where(t.inboxes.c.id == inbox_id))

    def inbox_in_use(self, inbox_id: int) -> bool:
        used = self.conn.execute(
            select(t.tickets.c.id).where(t.tickets.c.inbox_id == inbox_id).limit(1)
        ).first()
        return used is not None


class SqlCredentials:
    """API keys and customer tokens; secrets only as hashes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_credential(self, values: Mapping[str, Any]) -> Credential:
        values = dict(values)
        values["scopes"] = " ".join(sorted(values.get("scopes", ())))
        return _credential(insert_row(self.conn, t.credentials, values))

    def find_credential(self, key_id: str) -> Credential | None:
        row = self.conn.execute(hot_queries.CREDENTIAL, {"key_id": key_id}).one_or_none()
        return _credential(row) if row else None

    def get_credential(self, account_id: int, credential_id: int) -> Credential | None:
        row = one_in_account(self.conn, t.credentials, account_id, credential_id)
        return _credential(row) if row else None

    def list_credentials(self, account_id: int, kind: CredentialKind) -> list[Credential]:
        rows = self.conn.execute(
            select(t.credentials)
            .where(t.credentials.c.account_id == account_id, t.credentials.c.kind == kind.value)
            .order_by(t.credentials.c.id)
        ).all()
        return [_credential(row) for row in rows]

    def update_credential(self, credential_id: int, changes: Mapping[str, Any]) -> Credential:
        return _credential(update_row(self.conn, t.credentials, credential_id, changes))


def _agent_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "groups" in out:
        out["groups"] = ",".join(out["groups"])
    if "role" in out:
        out["role"] = Role(out["role"]).value
    return out


def _agent(row: Any, inbox_ids: tuple[int, ...]) -> Agent:
    return Agent(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        picture_url=row.picture_url,
        department=row.department,
        groups=tuple(group for group in row.groups.split(",") if group),
        is_back_office=bool(row.is_back_office),
        last_active=row.last_active,
        created=row.created,
        inbox_ids=inbox_ids,
        password_hash=row.password_hash,
        uuid=row.uuid or "",
        locale=row.locale,
        time_zone=row.time_zone,
    )


def _listed_agent(row: Any) -> Agent:
    """An agent read with `_AGENTS`: its inbox ids come as one string, in id order."""
    inbox_ids = sorted(int(part) for part in (row.inbox_list or "").split(",") if part)
    return _agent(row, tuple(inbox_ids))


def _inbox(row: Any) -> Inbox:
    return Inbox(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        email=row.email,
        auto_reply=row.auto_reply,
        created=row.created,
    )


def _credential(row: Any) -> Credential:
    return Credential(
        id=row.id,
        account_id=row.account_id,
        kind=CredentialKind(row.kind),
        name=row.name,
        key_id=row.key_id,
        scopes=frozenset(Scope(word) for word in row.scopes.split()),
        contact_id=row.contact_id,
        created=row.created,
        last_used=row.last_used,
        revoked=row.revoked,
        secret_hash=row.secret_hash,
    )


class SqlSessions:
    """Web sessions, password resets and failed attempts (secrets only as hashes)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_session(self, values: Mapping[str, Any]) -> WebSession:
        return _session(insert_row(self.conn, t.web_sessions, values))

    def find_session(self, public_id: str) -> WebSession | None:
        row = self.conn.execute(
            select(t.web_sessions).where(t.web_sessions.c.public_id == public_id)
        ).one_or_none()
        return _session(row) if row else None

    def find_session_with_agent(self, public_id: str) -> tuple[WebSession, Agent | None] | None:
        """The session and its agent (None when the agent is gone) in one statement: the
        web app checks both on every page."""
        row = self.conn.execute(_SESSION_WITH_AGENT, {"public_id": public_id}).one_or_none()
        if row is None:
            return None
        session = _session(_columns_of(row, t.web_sessions))
        agent = _listed_agent(_columns_of(row, t.agents)) if row.agents_id is not None else None
        return session, agent

    def update_session(self, session_id: int, changes: Mapping[str, Any]) -> WebSession:
        return _session(update_row(self.conn, t.web_sessions, session_id, changes))

    def list_sessions(self, agent_id: int, now: int) -> list[WebSession]:
        ws = t.web_sessions
        rows = self.conn.execute(
            select(ws)
            .where(ws.c.agent_id == agent_id, ws.c.revoked.is_(None), ws.c.expires > now)
            .order_by(ws.c.id.desc())
        ).all()
        return [_session(row) for row in rows]

    def revoke_sessions(self, agent_id: int, now: int) -> int:
        ws = t.web_sessions
        done = self.conn.execute(
            update(ws).where(ws.c.agent_id == agent_id, ws.c.revoked.is_(None)).values(revoked=now)
        )
        return int(done.rowcount or 0)

    def insert_reset(self, values: Mapping[str, Any]) -> PasswordReset:
        return _reset(insert_row(self.conn, t.password_resets, values))

    def find_reset(self, public_id: str) -> PasswordReset | None:
        row = self.conn.execute(
            select(t.password_resets).where(t.password_resets.c.public_id == public_id)
        ).one_or_none()
        return _reset(row) if row else None

    def use_reset(self, reset_id: int, now: int) -> bool:
        pr = t.password_resets
        done = self.conn.execute(
            update(pr).where(pr.c.id == reset_id, pr.c.used.is_(None)).values(used=now)
        )
        return bool(done.rowcount)

    def record_attempt(self, kind: str, email: str, ip: str, now: int) -> None:
        self.conn.execute(
            insert(t.signin_attempts).values(kind=kind, email=email, ip=ip, created=now)
        )

    def attempt_times(
        self, kind: str, column: str, value: str, since: int, limit: int
    ) -> list[int]:
        sa = t.signin_attempts
        rows = self.conn.execute(
            select(sa.c.created)
            .where(sa.c.kind == kind, sa.c[column] == value, sa.c.created >= since)
            .order_by(sa.c.created)
            .limit(limit)
        )
        return [int(created) for created in rows.scalars()]

    def forget_attempts(self, before: int) -> None:
        self.conn.execute(delete(t.signin_attempts).where(t.signin_attempts.c.created < before))


def _session(row: Any) -> WebSession:
    return WebSession(
        id=row.id,
        account_id=row.account_id,
        agent_id=row.agent_id,
        public_id=row.public_id,
        user_agent=row.user_agent,
        ip=row.ip,
        created=row.created,
        last_seen=row.last_seen,
        expires=row.expires,
        revoked=row.revoked,
        secret_hash=row.secret_hash,
    )


def _reset(row: Any) -> PasswordReset:
    return PasswordReset(
        id=row.id,
        account_id=row.account_id,
        agent_id=row.agent_id,
        public_id=row.public_id,
        created=row.created,
        expires=row.expires,
        used=row.used,
        secret_hash=row.secret_hash,
    )
