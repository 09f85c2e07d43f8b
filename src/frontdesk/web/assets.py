"""Files under /static/: served with security headers, cached for a year when versioned.

`static_url("css/app.css")` gives `/static/css/app.css?v=<hash of the file>`. A request
carrying the current hash may be cached for good (the URL changes when the file does);
any other request, an old hash from a page rendered before a deploy included, is served
the current file with `no-cache`, so a browser revalidates it instead of keeping it.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from frontdesk.web.security import SECURITY_HEADERS

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/static"
VERSION_PARAM = "v"
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def static_url(path: str) -> str:
    """The versioned URL of a file under static/; a missing file fails the render."""
    return f"{PREFIX}/{path}?{VERSION_PARAM}={digest(path)}"


def digest(path: str) -> str:
    full = _checked(path)
    try:
        stat = full.stat()
    except FileNotFoundError:
        _checked.cache_clear()
        raise FileNotFoundError(f"no static file {path!r} under {STATIC_DIR}") from None
    # Keyed by mtime and size too, so an edited file gets a new URL without a restart.
    return _file_digest(full, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _checked(path: str) -> Path:
    """The file under static/ that `path` names (resolving it costs a stat per folder, and
    every page asks for the same few files)."""
    full = (STATIC_DIR / path).resolve()
    if not full.is_relative_to(STATIC_DIR.resolve()) or not full.is_file():
        raise FileNotFoundError(f"no static file {path!r} under {STATIC_DIR}")
    return full


@lru_cache(maxsize=512)
def _file_digest(full: Path, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(full.read_bytes()).hexdigest()[:16]


class StaticAssets(StaticFiles):
    """StaticFiles (ETags, ranges, safe paths) plus our cache and security headers."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC_DIR)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(SECURITY_HEADERS)
        current = _is_current(scope, Path(full_path), stat_result)
        response.headers["Cache-Control"] = FOREVER if current else REVALIDATE
        return response


def _is_current(scope: Scope, full_path: Path, stat: os.stat_result) -> bool:
    """Whether the request names the version of the file that is being served."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    wanted = query.get(VERSION_PARAM, [""])[0]
    return bool(wanted) and wanted == _file_digest(full_path, stat.st_mtime_ns, stat.st_size)
