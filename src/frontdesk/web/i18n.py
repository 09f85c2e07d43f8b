"""Languages and time zones of the web app: gettext through Babel, one locale per request.

A request's locale is negotiated from `Accept-Language` for now; once agents sign in,
the choice in their profile goes first (`request.state.locale`, set by the session layer)
and so does their time zone, else their account's (`request.state.time_zone`).

Templates and Python share one set of gettext callables that read the locale activated
for the current render from a context variable: a single Jinja environment serves every
language, and a macro imported once translates into whichever locale renders it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, negotiate_locale, numbers
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES = ("en", "sv")  # a catalog for each under translations/
DEFAULT_LOCALE = "en"
DEFAULT_TIME_ZONE = "Europe/Stockholm"  # the installation's: for accounts that set none
# Closer than this reads as "just now": a clock a few seconds off must not say "in 3 s".
JUST_NOW = timedelta(seconds=45)


@dataclass(frozen=True)
class Localisation:
    """How one response speaks: its language, its time zone and their catalog."""

    locale: Locale
    time_zone: ZoneInfo
    translations: NullTranslations

    @property
    def tag(self) -> str:
        """The BCP 47 tag, for `<html lang>` and `Content-Language`."""
        return str(self.locale).replace("_", "-")


@cache
def catalog(locale: str) -> NullTranslations:
    """The compiled catalog of `locale`; English needs none (its msgids are English)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


@lru_cache(maxsize=256)
def localisation(locale: str = DEFAULT_LOCALE, time_zone: str = DEFAULT_TIME_ZONE) -> Localisation:
    """One per language and time zone (it is frozen): every request asks for one."""
    return Localisation(Locale.parse(locale), ZoneInfo(time_zone), catalog(locale))


def preferred_languages(accept_language: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first; `*` and q=0 dropped."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = _quality(params)
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _q, _p, tag in sorted(weighted)]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The best of LOCALES for the header (`sv-SE` finds `sv`), else `default`."""
    found = negotiate_locale(preferred_languages(accept_language), LOCALES, sep="-")
    return found or default


def for_request(connection: HTTPConnection) -> Localisation:
    """The request's localisation, worked out once and kept on its state."""
    state = connection.state
    found: Localisation | None = getattr(state, "localisation", None)
    if found is None:
        locale = getattr(state, "locale", None) or negotiate(
            connection.headers.get("accept-language")
        )
        time_zone = getattr(state, "time_zone", None) or DEFAULT_TIME_ZONE
        found = localisation(locale, time_zone)
        state.localisation = found
    return found


_active: ContextVar[Localisation | None] = ContextVar("frontdesk_web_localisation", default=None)


@contextmanager
def activate(loc: Localisation) -> Iterator[Localisation]:
    """Speak `loc` for the block: a render, or Python building a message."""
    token = _active.set(loc)
    try:
        yield loc
    finally:
        _active.reset(token)


def active() -> Localisation:
    """The localisation being rendered; the defaults outside any render."""
    return _active.get() or localisation()


# The gettext callables (Babel extracts these names, and N_ for strings marked at import
# time and translated later).


def gettext(message: str) -> str:
    return active().translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return active().translations.ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return str(active().translations.pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, count: int) -> str:
    return active().translations.npgettext(context, singular, plural, count)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; gettext() translates it later."""
    return message


# Formatting in the active locale and time zone. The core keeps time as integer
# milliseconds since the epoch (UTC); templates may also pass aware datetimes.

Moment = datetime | int


def as_datetime(value: Moment) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def format_datetime(value: Moment, format: str = "medium") -> str:
    loc = active()
    if isinstance(value, int):  # the core's milliseconds: the same words every time
        return _datetime_words(value // 1000, format, loc.locale, loc.time_zone)
    return dates.format_datetime(
        as_datetime(value), format, tzinfo=loc.time_zone, locale=loc.locale
    )


@lru_cache(maxsize=16_384)
def _datetime_words(seconds: int, format: str, locale: Locale, time_zone: ZoneInfo) -> str:
    """Babel takes ~50 microseconds per date; a queue shows the same tickets over and over."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return dates.format_datetime(moment, format, tzinfo=time_zone, locale=locale)


def format_date(value: Moment, format: str = "medium") -> str:
    loc = active()
    local = as_datetime(value).astimezone(loc.time_zone)
    return dates.format_date(local.date(), format, locale=loc.locale)


def format_time(value: Moment, format: str = "short") -> str:
    loc = active()
    return dates.format_time(as_datetime(value), format, tzinfo=loc.time_zone, locale=loc.locale)


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=active().locale)


def format_relative(value: Moment, now: Moment | None = None) -> str:
    """ "3 minutes ago" / "in 2 days", in words of the active locale."""
    delta = as_datetime(value) - (as_datetime(now) if now is not None else datetime.now(UTC))
    if abs(delta) < JUST_NOW:
        return gettext("just now")
    return _relative_words(_coarse(delta.total_seconds()), active().locale)


def _coarse(seconds: float) -> int:
    """The delta rounded to a step far below the unit Babel will name (a minute's words
    for anything past an hour, and so on), so that the words can be cached."""
    size = abs(seconds)
    step = 1 if size < 3600 else 60 if size < 86_400 else 3600
    return int(round(seconds / step) * step)


@lru_cache(maxsize=16_384)
def _relative_words(seconds: int, locale: Locale) -> str:
    return dates.format_timedelta(timedelta(seconds=seconds), add_direction=True, locale=locale)


def iso_utc(value: Moment) -> str:
    """Machine-readable time for `<time datetime>`, which the browser's clock reads."""
    return as_datetime(value).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def filters() -> dict[str, Any]:
    """The template filters that format in the active locale."""
    return {
        "datetime": format_datetime,
        "date": format_date,
        "time": format_time,
        "number": format_number,
        "relative": format_relative,
        "iso_utc": iso_utc,
    }
