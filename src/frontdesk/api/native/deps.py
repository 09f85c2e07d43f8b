"""Dependencies of the native API: the bearer-key actor with a scope."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.auth import authenticated
from frontdesk.services.auth import require_scope

_bearer = HTTPBearer(auto_error=False, description="An API key: `fdk_...`")


def scoped(scope: Scope) -> Callable[..., Actor]:
    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Security(_bearer)
    ) -> Actor:
        token = credentials.credentials if credentials else ""
        return require_scope(authenticated(request, token), scope)

    return dependency
