"""Traffic source, browser and OS, and city and country from the bundled database."""

from __future__ import annotations

import pytest

from frontdesk.chat.visitor_info import browser_and_os, describe, geo, traffic
from tests.chat.helpers import CHROME_UA


@pytest.mark.parametrize(
    ("referrer", "page", "expected"),
    [
        (None, "https://example.org/", ("Direct", "")),
        ("", "https://example.org/", ("Direct", "")),
        ("not a url", "https://example.org/", ("Direct", "")),
        ("https://www.google.se/search?q=x", "https://example.org/", ("Organic", "Google")),
        ("https://www.bing.com/search?q=x", None, ("Organic", "Bing")),
        ("https://search.yahoo.com/", None, ("Organic", "Yahoo")),
        ("https://duckduckgo.com/", None, ("Organic", "DuckDuckGo")),
        (
            "https://www.referral-domain.com/post",
            "https://example.org/",
            ("www.referral-domain.com", ""),
        ),
        ("https://example.org/other", "https://www.example.org/", ("Direct", "")),
        ("https://google.example.org/", "https://shop.test/", ("Organic", "Google")),
    ],
)
def test_traffic(referrer: str | None, page: str | None, expected: tuple[str, str]) -> None:
    assert traffic(referrer, page) == expected


def test_browser_and_os_with_versions() -> None:
    assert browser_and_os(CHROME_UA) == ("Chrome 50.0.2661", "Windows 7.0.0")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert browser_and_os(firefox) == ("Firefox 128.0.0", "Linux")
    assert browser_and_os("") == ("", "")
    assert browser_and_os("curl/8.0 " + "x" * 5000)[1] == ""


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("81.236.0.1", ("Gothenburg", "Sweden")),
        ("8.8.8.8", ("Mountain View", "United States")),
        ("127.0.0.1", (None, None)),
        ("10.1.2.3", (None, None)),
        ("::1", (None, None)),
        ("testclient", (None, None)),
        (None, (None, None)),
    ],
)
def test_city_and_country(address: str | None, expected: tuple[str | None, str | None]) -> None:
    assert geo.locate(address) == expected


def test_describe_puts_it_together() -> None:
    info = describe(
        user_agent=CHROME_UA,
        referrer="https://www.bing.com/",
        page="https://example.org/",
        address="81.236.0.1",
    )
    assert (info.traffic_type, info.search_engine, info.country) == ("Organic", "Bing", "Sweden")
