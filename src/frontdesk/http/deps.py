"""Dependencies every dialect uses: the running services, and ids taken from a path."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.services import Services

# A path id outside 32 bits cannot name a row: refuse it as input (422), not as a DB error.
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def services_from(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def services_of(request: Request) -> Services:
    """The dependency; async, as a sync one costs a trip through the thread pool."""
    return services_from(request)
