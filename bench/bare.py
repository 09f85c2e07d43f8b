"""The framework's own ceiling: a bare Starlette app with one async JSON endpoint, served
by uvicorn with exactly the options `frontdesk serve` uses (frontdesk.http.serving).

Frontdesk's `/healthz` answers the same body, but through Frontdesk's middleware (security
headers, body limits, request ids, error mapping) and FastAPI's routing; this app has none
of them, so a route's share of this ceiling is its share of what the server and the event
loop alone could do on this machine, in this run.

    .venv/bin/python -m bench.bare --port 8100 --workers 2
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from frontdesk.http.serving import uvicorn_options
from frontdesk.settings import Settings


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = Settings(host="127.0.0.1", port=args.port)
    uvicorn.run("bench.bare:app", **uvicorn_options(settings, args.workers))


if __name__ == "__main__":
    main()
