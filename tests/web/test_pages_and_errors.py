"""The landing page, and errors: HTML pages on the web's paths, JSON on the APIs'."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from frontdesk.http.errors import ErrorRouter, Problem
from frontdesk.services import Services
from frontdesk.web.security import CONTENT_SECURITY_POLICY, web_router
from tests.web.conftest import app_with_gallery


def test_the_landing_page_names_the_product_and_links_the_api_docs(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<h1 class="page__title">Frontdesk</h1>' in page.text
    assert 'href="/api/v1/docs"' in page.text
    assert "/" not in web.get("/api/v1/openapi.json").json()["paths"]  # not an API route


def test_a_missing_page_on_a_web_path_is_a_page(web: TestClient) -> None:
    for path in ("/settings/nowhere", "/static/nope.css", "/login/nowhere", "/portal/x"):
        answer = web.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert '<h1 class="empty__title">Page not found</h1>' in answer.text
        assert 'href="/"' in answer.text


def test_the_apis_keep_their_own_error_envelopes(web: TestClient) -> None:
    native = web.get("/api/v1/nowhere")
    assert native.status_code == 404
    assert native.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    assert "content-security-policy" not in native.headers
    imbox = web.get("/message/nowhere")
    assert imbox.json()["result"] == "error"
    unknown = web.get("/nowhere")  # a path no one owns keeps the native envelope
    assert unknown.headers["content-type"] == "application/json"


def test_a_wrong_method_on_the_root_is_a_page(web: TestClient) -> None:
    answer = web.delete("/", headers={"Accept-Language": "sv"})
    assert answer.status_code == 405
    assert answer.headers["content-language"] == "sv"
    assert "Den åtgärden finns inte här" in answer.text


def test_an_oversize_body_on_a_web_path_is_a_page(web: TestClient) -> None:
    answer = web.post("/tickets/new", content=b"x" * 200_000)
    assert answer.status_code == 413
    assert "That upload is too large" in answer.text
    assert answer.headers["connection"] == "close"


def test_a_crash_on_a_web_path_is_a_page_without_the_trace(services: Services) -> None:
    app = app_with_gallery(services)
    crashing = web_router()

    @crashing.get("/settings/crash")
    def crash() -> None:
        raise RuntimeError("secret detail")

    app.include_router(crashing)
    answer = TestClient(app, raise_server_exceptions=False).get("/settings/crash")
    assert answer.status_code == 500
    assert "Something went wrong on our side" in answer.text
    assert "secret detail" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def _named(name: str) -> JSONResponse:
    return JSONResponse({"renderer": name})


def test_the_error_router_prefers_an_exact_path_then_the_longest_prefix() -> None:
    router = ErrorRouter(default=lambda _problem: _named("default"))
    router.register("/", lambda _problem: _named("root"), exact=True)
    router.register("/tickets", lambda _problem: _named("web"))
    router.register("/tickets/api/", lambda _problem: _named("longer"))
    problem = Problem(404, "not_found", "Not Found")

    def picked(path: str) -> bytes:
        return bytes(router.render(path, problem).body)

    assert picked("/") == b'{"renderer":"root"}'
    assert picked("/tickets/1") == b'{"renderer":"web"}'
    assert picked("/tickets/api/1") == b'{"renderer":"longer"}'
    assert picked("/anything") == b'{"renderer":"default"}'


def test_an_error_page_that_cannot_render_still_answers(services: Services) -> None:
    app: FastAPI = app_with_gallery(services)
    app.state.templates.env.globals.pop("static_url")  # the layout now fails to render
    answer = TestClient(app).get("/settings/999")
    assert answer.status_code == 404
    assert answer.text.startswith("<!doctype html>") and "<h1>Error</h1>" in answer.text
