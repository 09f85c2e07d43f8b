"""The web foundation in a real browser: Debian's chromium, headless, through Playwright.

Runs once, on SQLite: these pages read nothing from the database, and the live server
shares the session's services like any other test. Screenshots land in docs/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.web.security import CONTENT_SECURITY_POLICY
from tests.web.browser import Problems, assert_accessible, screenshot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_landing_page_is_accessible_and_carries_the_csp(page: Any) -> None:
    from playwright.sync_api import expect

    response = page.goto("/")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.locator("h1")).to_have_text("Frontdesk")
    expect(page.get_by_role("link", name="API reference").first).to_have_attribute(
        "href", "/api/v1/docs"
    )
    # htmx and app.js ran under the CSP (a refused script would be a console error).
    assert page.evaluate("typeof htmx === 'object' && typeof Frontdesk === 'object'")
    assert_accessible(page)
    screenshot(page, "landing")


def test_the_landing_page_in_the_systems_dark_mode(page: Any) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 24)"  # --fd-bg of the dark theme
    assert_accessible(page)
    screenshot(page, "landing-dark")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_component_gallery_is_accessible_in_both_themes(page: Any, theme: str) -> None:
    page.goto(f"/_gallery?theme={theme}")
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert_accessible(page)
    screenshot(page, f"components-{theme}")


def test_the_skip_link_moves_to_the_main_content(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_question_mark_opens_the_shortcut_help_and_escape_closes_it(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("dd")).to_have_text(["Show keyboard shortcuts", "Home", "API reference"])
    expect(dialog.locator("dt").nth(1).locator("kbd")).to_have_text(["g", "h"])
    assert_accessible(page)
    screenshot(page, "shortcuts")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()


def test_shortcuts_rest_while_typing_and_sequences_navigate(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/_gallery")
    home = page.url.split("/_gallery")[0] + "/"  # read before "g h" can have navigated
    page.get_by_label("Subject").press("?")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.get_by_label("Subject").press("End")
    page.locator("body").press("Escape")  # nothing open: harmless
    page.locator("h1").click()
    page.keyboard.press("g")
    page.keyboard.press("h")
    expect(page).to_have_url(home)


def test_htmx_swaps_only_the_fragment_and_announces_it(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/_gallery")
    with page.expect_response(lambda r: r.url.endswith("/_gallery")) as answer:
        page.locator("#refresh-rows").click()
    assert answer.value.headers["vary"] == "Accept-Language, HX-Request"
    body = answer.value.text()
    assert body.lstrip().startswith('<ul class="rows" id="gallery-rows"') and "<html" not in body
    expect(page.locator("#gallery-rows .row")).to_have_count(4)
    expect(page.locator("#fd-announce")).to_have_text("Rows refreshed")


def test_htmx_posts_carry_the_csrf_token_from_the_meta(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/_gallery")
    page.locator("#post-echo").click()
    expect(page.locator("#echo")).to_have_text("CSRF token verified")
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'forged.token'")
    page.locator("#post-echo").click()
    expect(page.locator("#echo")).to_have_text("CSRF token refused")


def test_relative_times_are_rewritten_in_the_pages_language(page: Any) -> None:
    page.goto("/_gallery")
    text = page.evaluate(
        """() => {
            const el = document.createElement('time');
            el.setAttribute('datetime', new Date(Date.now() - 2 * 3600 * 1000).toISOString());
            el.dataset.relative = '';
            document.querySelector('main').append(el);
            Frontdesk.refreshTimes();
            return el.textContent;
        }"""
    )
    assert text == "2 hours ago"


def test_swedish_pages_and_times(browser: Any, live_server: str) -> None:
    context = browser.new_context(locale="sv-SE", base_url=live_server)
    try:
        swedish = context.new_page()
        swedish.goto("/_gallery")
        assert swedish.evaluate("document.documentElement.lang") == "sv"
        assert swedish.locator("main time").first.inner_text() == "för 3 minuter sedan"
        assert swedish.get_by_role("link", name="Hoppa till huvudinnehållet").count() == 1
    finally:
        context.close()


def test_a_missing_web_page_is_an_html_page_in_the_layout(page: Any, problems: Problems) -> None:
    from playwright.sync_api import expect

    problems.expect("status of 404")  # the browser logs the page's own status; nothing else
    response = page.goto("/settings/does-not-exist")
    assert response.status == 404
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "error-404")


@pytest.mark.parametrize("path", ["/", "/_gallery", "/settings/404"])
def test_nothing_overflows_a_320_pixel_screen(page: Any, problems: Problems, path: str) -> None:
    problems.expect("status of 404")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
