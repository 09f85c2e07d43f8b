"""Dependencies of the native API: the bearer-key actor with a scope, and If-Match."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets.records import VersionCondition
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


_STRONG_TAG = re.compile(r'^"(\d{1,18})"$')


def etag(version: int) -> str:
    """A ticket's version as a strong entity tag."""
    return f'"{version}"'


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Change only if the ticket is still at this ETag (else 412)",
        ),
    ] = None,
) -> VersionCondition | None:
    """The If-Match header as a condition on the ticket's version (RFC 9110, 13.1.1).

    Comparison is strong: a weak tag (`W/"3"`) or one that is not ours matches nothing, so
    the change is refused (412) rather than made on a guess.
    """
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return VersionCondition(any_version=True)
    found = (_STRONG_TAG.match(tag) for tag in tags)
    return VersionCondition(versions=frozenset(int(match.group(1)) for match in found if match))
