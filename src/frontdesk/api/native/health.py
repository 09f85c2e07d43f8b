"""Liveness and readiness probes for load balancers and orchestrators.

`/healthz` says the process answers: it runs on the event loop and touches nothing, so it
keeps answering while the database is away and every worker thread waits on it.
`/readyz` says whether this process can serve: the database answers within the connect
timeout, and the data directory has space left. It runs its checks outside the request
thread pool, so a full pool cannot make it hang.
"""

from __future__ import annotations

import asyncio
import logging
import shutil

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from frontdesk.http.deps import services_of
from frontdesk.services import Services
from frontdesk.storage.faults import describe

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: Services = Depends(services_of)) -> JSONResponse:
    """Ready only when the database answers and the disk has room."""
    database = await _database(services)
    disk = _disk(services)
    ready = database == "ok" and disk == "ok"
    body = {"status": "ok" if ready else "unavailable", "database": database, "disk": disk}
    headers = None if ready else {"Retry-After": str(services.settings.retry_after_seconds)}
    return JSONResponse(body, status_code=200 if ready else 503, headers=headers)


async def _database(services: Services) -> str:
    loop = asyncio.get_running_loop()
    # The default executor, not the request thread pool: a pool full of requests waiting
    # on a silent database must not keep this check from running.
    check = loop.run_in_executor(None, services.store.ping)
    try:
        await asyncio.wait_for(check, services.settings.db_connect_timeout_seconds + 1)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # any failure means not ready; say which in the log
        log.warning("readiness: database unreachable: %s", describe(exc))
        return "unreachable"
    return "ok"


def _disk(services: Services) -> str:
    try:
        free = shutil.disk_usage(services.settings.data_dir).free
    except OSError:
        return "unreadable"
    return "ok" if free > services.settings.min_free_disk_bytes else "full"
