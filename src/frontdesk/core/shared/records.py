"""Records every area uses: who acts, with which scopes, and what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Row ids are 32-bit integers on both databases: a larger number names no row, and is
# refused as input rather than passed to PostgreSQL, which would reject the comparison.
MAX_ROW_ID = 2_147_483_647


class Scope(StrEnum):
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    CHAT_READ = "chat:read"
    CHAT_WRITE = "chat:write"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: every core call runs on behalf of exactly one account."""

    account_id: int
    label: str
    scopes: frozenset[Scope] = frozenset()
    agent_id: int | None = None
    contact_id: int | None = None
    credential_id: int | None = None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened; recorded in the same transaction, published after commit."""

    account_id: int
    kind: str
    actor: str
    ticket_id: int | None = None
    data: dict[str, object] = field(default_factory=dict)
    # The agent who acted, when an agent did (never stored: notifications skip them).
    agent_id: int | None = None
