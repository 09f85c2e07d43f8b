"""Web app fixtures: the app with the test-only gallery, a live server, one chromium.

Browser tests take `page`: a fresh context on the live server whose console errors and
uncaught page errors fail the test when it ends (a CSP violation is a console error).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.services import Services
from frontdesk.web.templating import Templates
from tests.live import launch, require_chromium, serving
from tests.web import gallery
from tests.web.browser import DESKTOP, Problems


def app_with_gallery(services: Services) -> FastAPI:
    app = create_app(services=services)
    app.state.templates = Templates(extra_dirs=[gallery.TEMPLATES])
    app.include_router(gallery.router)
    return app


@pytest.fixture(scope="module")
def web_app(services: Services) -> FastAPI:
    return app_with_gallery(services)


@pytest.fixture(scope="module")
def web(web_app: FastAPI) -> TestClient:
    return TestClient(web_app)


@pytest.fixture(scope="module")
def live_server(web_app: FastAPI) -> Iterator[str]:
    """The base URL of a real uvicorn serving the web app (and the gallery)."""
    with serving(web_app) as host:
        yield f"http://{host}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium for the whole module: starting one costs about a second."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = launch(playwright)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def page(browser: Any, live_server: str, problems: Problems) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)
    opened = context.new_page()
    problems.watch(opened)
    try:
        yield opened
    finally:
        context.close()
    problems.assert_none()
