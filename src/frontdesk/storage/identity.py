"""Accounts with their agents and inboxes, and credentials (core.identity's ports)."""

from __future__ import annotations

import hashlib
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
    text,
    update,
)

from frontdesk.core.identity.records import (
    Account,
    Agent,
    Credential,
    CredentialKind,
    Inbox,
    Passkey,
    PasswordReset,
    Role,
    SessionWithAgent,
    Totp,
    WebSession,
)
from frontdesk.core.shared.records import Scope
from frontdesk.storage import hot_queries
from frontdesk.storage import tables as t
from frontdesk.storage._sql import (
    account_from_row,
    insert_row,
    locks_rows,
    one_in_account,
    update_row,
)

# The advisory lock classes of sign-in throttling (pg_advisory_xact_lock's first int):
# numbers the application uses for nothing else.
_ADDRESS_LOCK = 0x46440001
_IP_LOCK = 0x46440002

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
_INBOXES = (
    select(t.inboxes)
    .where(t.inboxes.c.account_id == bindparam("account_id"))
    .order_by(t.inboxes.c.id)
)

# The account's time zone rides along: an agent without one of their own sees the
# account's, and a separate read of the account would cost every page a statement.
_ACCOUNT_TIME_ZONE = (
    select(t.accounts.c.time_zone)
    .where(t.accounts.c.id == t.web_sessions.c.account_id)
    .scalar_subquery()
    .label("account_time_zone")
)
_SESSION_WITH_AGENT = (
    select(t.web_sessions, t.agents, _INBOX_LIST, _ACCOUNT_TIME_ZONE)
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
        rows = self.conn.execute(_INBOXES, {"account_id": account_id}).all()
        return [_inbox(row) for row in rows]

    def delete_inbox(self, inbox_id: int) -> None:
        self.conn.execute(delete(t.agent_inboxes).where(t.agent_inboxes.c.inbox_id == inbox_id))
        self.conn.execute(delete(t.csat_settings).where(t.csat_settings.c.inbox_id == inbox_id))
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

    def agent_credentials(self, agent_id: int) -> list[Credential]:
        creds = t.credentials
        rows = self.conn.execute(
            select(creds)
            .where(creds.c.agent_id == agent_id, creds.c.revoked.is_(None))
            .order_by(creds.c.id)
        )
        return [_credential(row) for row in rows]

    def revoke_agent_credentials(self, agent_id: int, now: int) -> int:
        creds = t.credentials
        done = self.conn.execute(
            update(creds)
            .where(creds.c.agent_id == agent_id, creds.c.revoked.is_(None))
            .values(revoked=now)
        )
        return int(done.rowcount or 0)

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
        deactivated=row.deactivated,
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
        signature=row.signature,
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
        agent_id=row.agent_id,
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

    def find_session_with_agent(self, public_id: str) -> SessionWithAgent | None:
        """The session, its agent (None when the agent is gone) and the account's time zone
        in one statement: the web app checks them on every page."""
        row = self.conn.execute(_SESSION_WITH_AGENT, {"public_id": public_id}).one_or_none()
        if row is None:
            return None
        session = _session(_columns_of(row, t.web_sessions))
        agent = _listed_agent(_columns_of(row, t.agents)) if row.agents_id is not None else None
        return SessionWithAgent(session, agent, row.account_time_zone or "")

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

    def set_stage(self, agent_id: int, stage_from: str, stage_to: str) -> int:
        ws = t.web_sessions
        done = self.conn.execute(
            update(ws)
            .where(ws.c.agent_id == agent_id, ws.c.revoked.is_(None), ws.c.stage == stage_from)
            .values(stage=stage_to)
        )
        return int(done.rowcount or 0)

    def take_challenge(self, session_id: int, challenge: str) -> bool:
        ws = t.web_sessions
        done = self.conn.execute(
            update(ws)
            .where(ws.c.id == session_id, ws.c.challenge == challenge)
            .values(challenge=None)
        )
        return bool(done.rowcount)

    def release_stage(self, account_id: int, stage: str) -> int:
        ws = t.web_sessions
        done = self.conn.execute(
            update(ws)
            .where(ws.c.account_id == account_id, ws.c.revoked.is_(None), ws.c.stage == stage)
            .values(stage="")
        )
        return int(done.rowcount or 0)

    def set_stage_where_no_factor(self, account_id: int, stage: str) -> int:
        ws, totp, keys = t.web_sessions, t.agent_totp, t.agent_passkeys
        has_app = select(totp.c.agent_id).where(totp.c.confirmed.is_not(None))
        has_key = select(keys.c.agent_id)
        done = self.conn.execute(
            update(ws)
            .where(
                ws.c.account_id == account_id,
                ws.c.revoked.is_(None),
                ws.c.stage == "",
                ws.c.agent_id.not_in(has_app),
                ws.c.agent_id.not_in(has_key),
            )
            .values(stage=stage)
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

    def hold_attempts(self, kind: str, email: str, ip: str) -> None:
        """PostgreSQL: queue behind any other transaction counting the same address or IP
        (advisory locks until commit, the address's first, so no two wait on each other).
        SQLite: nothing to do, its writers already take turns at BEGIN IMMEDIATE."""
        if not locks_rows(self.conn):
            return
        for lock_class, value in ((_ADDRESS_LOCK, email), (_IP_LOCK, ip)):
            self.conn.execute(
                text("SELECT pg_advisory_xact_lock(:class, :key)"),
                {"class": lock_class, "key": _lock_key(kind, value)},
            )

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


def _lock_key(kind: str, value: str) -> int:
    """A signed 32-bit key for pg_advisory_xact_lock(int, int); a collision only makes two
    unrelated attempts take turns."""
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


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
        stage=row.stage,
        challenge=row.challenge,
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


class SqlTwoFactor:
    """Authenticator apps, recovery codes (hashes only) and passkeys (public keys only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_totp(self, agent_id: int) -> Totp | None:
        row = self.conn.execute(
            select(t.agent_totp).where(t.agent_totp.c.agent_id == agent_id)
        ).one_or_none()
        return _totp(row) if row else None

    def put_totp(self, values: Mapping[str, Any]) -> Totp:
        self.delete_totp(values["agent_id"])
        return _totp(
            self.conn.execute(insert(t.agent_totp).values(**values).returning(t.agent_totp)).one()
        )

    def update_totp(self, agent_id: int, changes: Mapping[str, Any]) -> Totp:
        table = t.agent_totp
        row = self.conn.execute(
            update(table).where(table.c.agent_id == agent_id).values(**changes).returning(table)
        ).one()
        return _totp(row)

    def use_totp_step(self, agent_id: int, step: int) -> bool:
        table = t.agent_totp
        done = self.conn.execute(
            update(table)
            .where(table.c.agent_id == agent_id, table.c.last_step < step)
            .values(last_step=step)
        )
        return bool(done.rowcount)

    def delete_totp(self, agent_id: int) -> None:
        self.conn.execute(delete(t.agent_totp).where(t.agent_totp.c.agent_id == agent_id))

    def replace_recovery_codes(
        self, account_id: int, agent_id: int, hashes: Sequence[str], now: int
    ) -> None:
        codes = t.agent_recovery_codes
        self.conn.execute(delete(codes).where(codes.c.agent_id == agent_id))
        if hashes:
            self.conn.execute(
                insert(codes),
                [
                    {"account_id": account_id, "agent_id": agent_id, "code_hash": h, "created": now}
                    for h in hashes
                ],
            )

    def use_recovery_code(self, agent_id: int, code_hash: str, now: int) -> bool:
        codes = t.agent_recovery_codes
        done = self.conn.execute(
            update(codes)
            .where(
                codes.c.agent_id == agent_id, codes.c.code_hash == code_hash, codes.c.used.is_(None)
            )
            .values(used=now)
        )
        return bool(done.rowcount)

    def recovery_codes_left(self, agent_id: int) -> int:
        codes = t.agent_recovery_codes
        count = self.conn.execute(
            select(func.count()).where(codes.c.agent_id == agent_id, codes.c.used.is_(None))
        ).scalar_one()
        return int(count)

    def list_passkeys(self, agent_id: int) -> list[Passkey]:
        keys = t.agent_passkeys
        rows = self.conn.execute(
            select(keys).where(keys.c.agent_id == agent_id).order_by(keys.c.id)
        )
        return [_passkey(row) for row in rows]

    def insert_passkey(self, values: Mapping[str, Any]) -> Passkey:
        return _passkey(insert_row(self.conn, t.agent_passkeys, values))

    def find_passkey(self, credential_id: str) -> Passkey | None:
        keys = t.agent_passkeys
        row = self.conn.execute(
            select(keys).where(keys.c.credential_id == credential_id)
        ).one_or_none()
        return _passkey(row) if row else None

    def update_passkey(self, passkey_id: int, changes: Mapping[str, Any]) -> Passkey:
        return _passkey(update_row(self.conn, t.agent_passkeys, passkey_id, changes))

    def delete_passkey(self, passkey_id: int) -> None:
        self.conn.execute(delete(t.agent_passkeys).where(t.agent_passkeys.c.id == passkey_id))

    def has_factor(self, agent_id: int) -> bool:
        totp, keys = t.agent_totp, t.agent_passkeys
        app = select(totp.c.agent_id).where(
            totp.c.agent_id == agent_id, totp.c.confirmed.is_not(None)
        )
        key = select(keys.c.agent_id).where(keys.c.agent_id == agent_id)
        return self.conn.execute(select(app.union_all(key).exists())).scalar_one() is True


def _totp(row: Any) -> Totp:
    return Totp(
        agent_id=row.agent_id,
        account_id=row.account_id,
        created=row.created,
        confirmed=row.confirmed,
        last_step=row.last_step,
        secret=row.secret,
    )


def _passkey(row: Any) -> Passkey:
    return Passkey(
        id=row.id,
        account_id=row.account_id,
        agent_id=row.agent_id,
        name=row.name,
        credential_id=row.credential_id,
        public_key=row.public_key,
        sign_count=row.sign_count,
        created=row.created,
        last_used=row.last_used,
    )
