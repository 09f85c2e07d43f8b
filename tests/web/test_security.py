"""Headers, static files, CSRF tokens, and the rules the web layer keeps."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from frontdesk.web import csrf
from frontdesk.web.assets import FOREVER, REVALIDATE, STATIC_DIR, static_url
from frontdesk.web.security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from frontdesk.web.templating import TEMPLATE_DIR

WEB_PACKAGE = TEMPLATE_DIR.parent
SECRET = "s3cret-for-tests"


def test_pages_carry_the_security_headers(web: TestClient) -> None:
    answer = web.get("/")
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def test_the_apis_and_their_docs_do_not(web: TestClient) -> None:
    # Swagger UI loads its scripts from a CDN; a web CSP would leave the docs blank.
    for path in ("/api/v1/docs", "/api/v1/openapi.json", "/api/v1/healthz"):
        assert "content-security-policy" not in web.get(path).headers, path


def test_versioned_static_files_are_cached_for_a_year(web: TestClient) -> None:
    url = static_url("css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{16}", url)
    current = web.get(url)
    assert current.status_code == 200 and current.headers["cache-control"] == FOREVER
    assert current.headers["content-type"].startswith("text/css")
    assert current.headers["x-content-type-options"] == "nosniff"
    for stale in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        assert web.get(stale).headers["cache-control"] == REVALIDATE
    etag = current.headers["etag"]
    assert web.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_static_url_refuses_what_is_not_a_static_file() -> None:
    with pytest.raises(FileNotFoundError):
        static_url("css/missing.css")
    with pytest.raises(FileNotFoundError):
        static_url("../templating.py")


def test_the_vendored_htmx_is_served_and_axe_is_not(web: TestClient) -> None:
    assert web.get(static_url("vendor/htmx/htmx.min.js")).status_code == 200
    assert not list(STATIC_DIR.rglob("axe*"))


def test_a_token_verifies_for_its_own_session_only() -> None:
    token = csrf.issue(SECRET, "session-a")
    assert csrf.verify(SECRET, "session-a", token)
    assert not csrf.verify(SECRET, "session-b", token)
    assert not csrf.verify("another secret", "session-a", token)
    assert csrf.issue(SECRET, "session-a") != token  # a fresh nonce each time


@pytest.mark.parametrize(
    "token",
    [None, "", "no-dot", ".", "a.b", "!!!!.####", "é.é", "A" * 500, "AAAAAAAAAAAAAAAAAAAAAA.AAAA"],
)
def test_malformed_tokens_are_refused(token: str | None) -> None:
    assert not csrf.verify(SECRET, "session-a", token)


def test_a_tampered_token_is_refused() -> None:
    token = csrf.issue(SECRET, "session-a", nonce=bytes(16))
    assert token == csrf.issue(SECRET, "session-a", nonce=bytes(16))
    nonce, mac = token.split(".")
    flipped = ("B" if mac[0] == "A" else "A") + mac[1:]
    assert not csrf.verify(SECRET, "session-a", f"{nonce}.{flipped}")
    assert not csrf.verify(SECRET, "", token)
    with pytest.raises(ValueError):
        csrf.issue(SECRET, "")


def test_which_requests_need_a_token_and_where_it_is_read() -> None:
    assert not csrf.needs_check("GET") and not csrf.needs_check("head")
    assert csrf.needs_check("POST") and csrf.needs_check("delete")
    assert csrf.submitted({"X-CSRF-Token": "h"}, {"csrf_token": "f"}) == "h"
    assert csrf.submitted({"x-csrf-token": "h"}) == "h"
    assert csrf.submitted({}, {"csrf_token": "f"}) == "f"
    assert csrf.submitted({}, {"csrf_token": 3}) is None
    assert csrf.submitted({}) is None


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_web_is_a_transport_and_never_imports_storage() -> None:
    offenders = [
        f"{path.relative_to(WEB_PACKAGE)}: {name}"
        for path in WEB_PACKAGE.rglob("*.py")
        for name in _imports(path)
        if name == "frontdesk.storage" or name.startswith("frontdesk.storage.")
    ]
    assert not offenders, "web must reach storage through services and the core:\n" + "\n".join(
        offenders
    )


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|javascript:", re.I)


def test_templates_hold_no_inline_script_or_style() -> None:
    # The CSP would refuse them in the browser; this names the template instead.
    found = [
        f"{path.relative_to(TEMPLATE_DIR)}: {match.group(0).strip()}"
        for path in TEMPLATE_DIR.rglob("*.html")
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)
