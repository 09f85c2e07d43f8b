"""Credentials to Actors, shared by every dialect: each only says where its key travels."""

from __future__ import annotations

from frontdesk.core.identity import credentials
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.shared.errors import Forbidden
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.services import Services


def actor_for(
    services: Services, token: str, kind: CredentialKind = CredentialKind.API_KEY
) -> Actor:
    """Authenticate in a read transaction; stamp last_used in a write only when it is stale."""
    with services.store.read() as uow:
        actor, stale = credentials.authenticate(uow, token, kind)
    if stale and actor.credential_id is not None:
        with services.store.write() as uow:
            credentials.touch(uow, actor.credential_id)
    return actor


def require_scope(actor: Actor, scope: Scope) -> Actor:
    if not actor.can(scope):
        raise Forbidden("missing_scope", f"This key lacks the {scope.value} scope")
    return actor


def bearer_token(header: str | None) -> str:
    """The token from `Authorization: Bearer <token>`; empty when absent or malformed."""
    if not header:
        return ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
