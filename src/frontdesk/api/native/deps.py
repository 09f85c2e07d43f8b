"""Dependencies of the native API: services and the bearer-key actor with a scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frontdesk.api.common.auth import actor_for, require_scope
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.services import Services

# A path id outside 32 bits cannot name a row: refuse it as input (422), not as a DB error.
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `fdk_...`")


def services_from(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def services_of(request: Request) -> Services:
    """The dependency; async, as a sync one costs a trip through the thread pool."""
    return services_from(request)


def scoped(scope: Scope) -> Callable[..., Actor]:
    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Security(_bearer)
    ) -> Actor:
        token = credentials.credentials if credentials else ""
        return require_scope(actor_for(services_from(request), token), scope)

    return dependency
