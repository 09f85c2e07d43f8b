"""Files fetched from URLs a client names (ImBox insertTicket attachments), safely; and the
address check every outbound connection to a host an account names goes through (IMAP).

A URL from a client must not reach the server's own network. Each hop (the URL, then
every redirect) is resolved here, every address the name resolves to is checked, and the
connection goes to the checked address itself, with the name kept in the Host header and
in TLS SNI, so a second DNS answer cannot slip a private address in between. Sizes are
counted as the bytes arrive (after decompression) and the whole set shares one deadline.
Error messages name the attachment by position, never by URL: URLs can carry secrets.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urljoin

import httpx2

from frontdesk.core.shared.errors import Invalid, TooLarge
from frontdesk.core.tickets.attachments import Upload

Resolver = Callable[[str, int], list[str]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'[^']*')?"?([^";]+)"?""", re.IGNORECASE)


@dataclass(frozen=True)
class FetchLimits:
    total_bytes: int  # all files together
    file_bytes: int  # any one file
    timeout: float  # seconds, for the whole set
    allow_private: bool = False
    max_redirects: int = 5


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# IPv6 addresses that carry an IPv4 address a gateway forwards to: NAT64 (RFC 6052's
# well-known prefix) and 6to4 (RFC 3056). Each is judged by the IPv4 address inside, so
# 64:ff9b::10.0.0.1 is as private as 10.0.0.1. The local-use NAT64 prefix (RFC 8215) is
# private whatever it carries.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def permitted(address: str, *, allow_private: bool) -> bool:
    """Public unicast only, unless the operator allows private networks."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL and not allow_private:
            return False
        ip = _embedded_ipv4(ip) or ip
    if ip.is_unspecified or ip.is_multicast:
        return False
    return allow_private or ip.is_global


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address, de-obfuscated
    return None


@dataclass
class _Budget:
    remaining: int
    deadline: float


def fetch_files(
    urls: Sequence[str], limits: FetchLimits, *, resolver: Resolver = resolve
) -> list[Upload]:
    budget = _Budget(limits.total_bytes, time.monotonic() + limits.timeout)
    headers = {"User-Agent": "Frontdesk attachment fetcher"}
    # No kept-alive connections: a pooled one is keyed by address, and reusing it for
    # another name would skip that name's TLS certificate check.
    with httpx2.Client(
        trust_env=False,
        follow_redirects=False,
        timeout=limits.timeout,
        headers=headers,
        limits=httpx2.Limits(max_keepalive_connections=0),
    ) as client:
        return [
            _fetch(client, url, index, limits, budget, resolver) for index, url in enumerate(urls)
        ]


def _fetch(
    client: httpx2.Client,
    url: str,
    index: int,
    limits: FetchLimits,
    budget: _Budget,
    resolver: Resolver,
) -> Upload:
    where = f"attachments[{index}]"
    current = url
    for _hop in range(limits.max_redirects + 1):
        request = _pinned(current, where, limits, resolver)
        try:
            with client.stream(
                "GET",
                request.url,
                headers=request.headers,
                extensions={"sni_hostname": request.sni, "timeout": _timeouts(budget, where)},
            ) as response:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    current = urljoin(current, location)
                    continue
                if response.status_code != 200:
                    raise Invalid(
                        "attachment_unavailable",
                        f"{where}: the server answered HTTP {response.status_code}",
                        field="attachments",
                    )
                data = _read(response, where, limits, budget)
                return Upload(filename=_filename(response, current), data=data)
        except httpx2.TimeoutException as exc:  # the shared deadline ran out mid-request
            raise _too_slow(where) from exc
        except httpx2.HTTPError as exc:
            raise Invalid(
                "attachment_unavailable",
                f"{where}: could not be fetched ({type(exc).__name__})",
                field="attachments",
            ) from exc
    raise Invalid("too_many_redirects", f"{where}: too many redirects", field="attachments")


@dataclass(frozen=True)
class Pinned:
    """A URL aimed at an address that passed the check, with the Host header and the
    TLS server name of the original host."""

    url: httpx2.URL
    headers: dict[str, str]
    sni: str


class AddressRefused(Exception):
    """The host does not resolve (`unresolved`) or lies on a private network (`private`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pin(url: httpx2.URL, *, allow_private: bool, resolver: Resolver = resolve) -> Pinned:
    """Resolve once, check every address, and aim at the first: a second DNS answer cannot
    slip a private address in between (attachment fetches, webhooks)."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused("unresolved") from exc
    if not addresses or not all(permitted(a, allow_private=allow_private) for a in addresses):
        raise AddressRefused("private")
    return Pinned(
        url=url.copy_with(host=addresses[0]),
        headers={"Host": url.netloc.decode("ascii")},
        sni=host,
    )


def _pinned(raw: str, where: str, limits: FetchLimits, resolver: Resolver) -> Pinned:
    """The request for one hop, aimed at an address that passed the check."""
    try:
        url = httpx2.URL(raw)
    except (httpx2.InvalidURL, TypeError, ValueError) as exc:
        raise Invalid("invalid_url", f"{where}: not a valid URL", field="attachments") from exc
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise Invalid("invalid_url", f"{where}: only http and https URLs", field="attachments")
    try:
        return pin(url, allow_private=limits.allow_private, resolver=resolver)
    except AddressRefused as refused:
        if refused.reason == "unresolved":
            raise Invalid(
                "attachment_unavailable",
                f"{where}: the host does not resolve",
                field="attachments",
            ) from refused
        raise Invalid(
            "address_not_allowed",
            f"{where}: the host is on a private or local network",
            field="attachments",
        ) from refused


def _timeouts(budget: _Budget, where: str) -> dict[str, float]:
    left = budget.deadline - time.monotonic()
    if left <= 0:
        raise _too_slow(where)
    return {"connect": left, "read": left, "write": left, "pool": left}


def _read(response: httpx2.Response, where: str, limits: FetchLimits, budget: _Budget) -> bytes:
    cap = min(limits.file_bytes, budget.remaining)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(where, limits, budget)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise _too_large(where, limits, budget)
        if time.monotonic() > budget.deadline:
            raise _too_slow(where)
        chunks.append(chunk)
    budget.remaining -= size
    return b"".join(chunks)


def _too_large(where: str, limits: FetchLimits, budget: _Budget) -> TooLarge:
    if limits.file_bytes <= budget.remaining:
        message = f"{where}: a file may be at most {limits.file_bytes} bytes"
    else:
        message = f"{where}: the attachments together are over {limits.total_bytes} bytes"
    return TooLarge("attachments_too_large", message, field="attachments")


def _too_slow(where: str) -> Invalid:
    return Invalid("attachment_timeout", f"{where}: fetching took too long", field="attachments")


def _filename(response: httpx2.Response, url: str) -> str:
    match = _FILENAME.search(response.headers.get("content-disposition", ""))
    if match:
        return unquote(match.group(1))
    path = httpx2.URL(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) if path else ""
