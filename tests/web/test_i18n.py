"""Locale negotiation and formatting in the locale and time zone of a request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from frontdesk.web import i18n

JULY_FIRST_NOON_UTC = 1_751_371_200_000  # 2025-07-01T12:00:00Z, summer time in Stockholm


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.8", ["sv-SE", "sv", "en"]),
        ("en;q=0.2, sv;q=0.7", ["sv", "en"]),
        ("de, *;q=0.1, fr;q=0", ["de"]),
        ("sv;q=abc, en", ["en"]),
        ("", []),
        (None, []),
    ],
)
def test_accept_language_is_read_in_order_of_preference(
    header: str | None, expected: list[str]
) -> None:
    assert i18n.preferred_languages(header) == expected


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("sv-SE,sv;q=0.9", "sv"),
        ("en-GB", "en"),
        ("de, sv;q=0.5", "sv"),
        ("de, fr", "en"),
        (None, "en"),
    ],
)
def test_the_best_available_locale_is_chosen(header: str | None, locale: str) -> None:
    assert i18n.negotiate(header) == locale


def test_times_are_shown_in_the_accounts_time_zone_and_language() -> None:
    with i18n.activate(i18n.localisation("sv")):
        assert i18n.format_datetime(JULY_FIRST_NOON_UTC) == "1 juli 2025 14:00:00"
        assert i18n.format_number(1234567.5) == "1\xa0234\xa0567,5"
    with i18n.activate(i18n.localisation("en", "America/New_York")):
        assert i18n.format_time(JULY_FIRST_NOON_UTC) == "8:00\u202fAM"
        # 23:00 UTC on July 1 is still July 1 in New York, and already July 2 in Stockholm.
        late = JULY_FIRST_NOON_UTC + 11 * 3600 * 1000
        assert i18n.format_date(late) == "Jul 1, 2025"
    with i18n.activate(i18n.localisation("en")):
        assert i18n.format_date(late) == "Jul 2, 2025"


def test_relative_times_read_naturally() -> None:
    moment = datetime(2025, 7, 1, 12, tzinfo=UTC)
    with i18n.activate(i18n.localisation("sv")):
        assert i18n.format_relative(JULY_FIRST_NOON_UTC - 180_000, moment) == "för 3 minuter sedan"
        assert i18n.format_relative(JULY_FIRST_NOON_UTC + 10_000, moment) == "nyss"
    with i18n.activate(i18n.localisation("en")):
        assert i18n.format_relative(JULY_FIRST_NOON_UTC + 2 * 86_400_000, moment) == "in 2 days"
    assert i18n.iso_utc(JULY_FIRST_NOON_UTC) == "2025-07-01T12:00:00Z"
    assert i18n.iso_utc(datetime(2025, 7, 1, 12)) == "2025-07-01T12:00:00Z"  # naive is UTC


def test_outside_a_render_python_speaks_the_default() -> None:
    assert i18n.gettext("Page not found") == "Page not found"
    with i18n.activate(i18n.localisation("sv")):
        assert i18n.gettext("Page not found") == "Sidan hittades inte"
        assert i18n.ngettext("Page not found", "Pages", 2) == "Pages"  # no plural entry


def _request(headers: dict[str, str], **state: str) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "state": dict(state)})


def test_a_profiles_choice_goes_before_the_browsers() -> None:
    assert i18n.for_request(_request({"Accept-Language": "sv"})).tag == "sv"
    chosen = i18n.for_request(_request({"Accept-Language": "sv"}, locale="en", time_zone="UTC"))
    assert chosen.tag == "en" and str(chosen.time_zone) == "UTC"
    assert str(i18n.for_request(_request({})).time_zone) == i18n.DEFAULT_TIME_ZONE


def test_pages_speak_the_language_the_browser_asks_for(web: TestClient) -> None:
    swedish = web.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert swedish.headers["content-language"] == "sv"
    assert '<html lang="sv"' in swedish.text
    assert "Hoppa till huvudinnehållet" in swedish.text
    english = web.get("/", headers={"Accept-Language": "de-DE"})
    assert english.headers["content-language"] == "en"
    assert '<html lang="en"' in english.text and "Skip to main content" in english.text
