"""Fetching attachment URLs: address checks, size limits, redirects and the deadline."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from frontdesk.core.shared.errors import Invalid, TooLarge
from frontdesk.services.fetch import FetchLimits, fetch_files, permitted
from tests.dialects.imbox.conftest import payload

OPEN = FetchLimits(total_bytes=10_000, file_bytes=6_000, timeout=5, allow_private=True)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 - an address to refuse, not to bind
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        # NAT64 and 6to4 carry an IPv4 address inside: judged by it (these passed before).
        ("64:ff9b::10.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),  # 169.254.169.254
        ("64:ff9b::93.184.216.34", True),
        ("64:ff9b:1::93.184.216.34", False),  # local-use NAT64 (RFC 8215)
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:c0a8:101::", False),  # 6to4 of 192.168.1.1
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
    ],
)
def test_only_public_unicast_addresses_are_permitted(address: str, public: bool) -> None:
    assert permitted(address, allow_private=False) is public


def test_the_operator_can_allow_private_networks_but_not_multicast() -> None:
    assert permitted("127.0.0.1", allow_private=True)
    assert permitted("10.0.0.1", allow_private=True)
    assert not permitted("224.0.0.1", allow_private=True)


def test_a_name_is_refused_when_any_of_its_addresses_is_private(file_server: str) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    limits = FetchLimits(total_bytes=100, file_bytes=100, timeout=5)
    with pytest.raises(Invalid) as caught:
        fetch_files(["http://mixed.example/file"], limits, resolver=resolver)
    assert caught.value.code == "address_not_allowed"


def test_the_connection_goes_to_the_checked_address_with_the_name_kept(file_server: str) -> None:
    port = int(file_server.rsplit(":", 1)[1])
    seen: list[tuple[str, int]] = []

    def resolver(host: str, wanted: int) -> list[str]:
        seen.append((host, wanted))
        return ["127.0.0.1"]

    files = fetch_files(
        [f"http://files.example:{port}/file/a.bin?size=50"], OPEN, resolver=resolver
    )
    assert seen == [("files.example", port)]
    assert files[0].data == payload(50)
    assert files[0].filename == "a.bin"


def test_the_total_limit_spans_all_files(file_server: str) -> None:
    urls = [f"{file_server}/file/{i}?size=4000" for i in range(3)]
    with pytest.raises(TooLarge) as caught:
        fetch_files(urls, OPEN)
    assert "attachments[2]" in caught.value.message
    assert "together" in caught.value.message
    assert [len(f.data) for f in fetch_files(urls[:2], OPEN)] == [4000, 4000]


def test_a_file_over_its_own_limit_is_refused_while_streaming(file_server: str) -> None:
    with pytest.raises(TooLarge) as caught:
        fetch_files([f"{file_server}/chunked?size=7000"], OPEN)
    assert "at most 6000 bytes" in caught.value.message


def _redirected(file_server: str, hops: int) -> str:
    """A URL that reaches a 3-byte file after `hops` redirects."""
    url = f"{file_server}/file/end?size=3"
    for _ in range(hops):
        url = f"{file_server}/redirect?{urlencode({'to': url})}"
    return url


def test_redirects_are_followed_a_bounded_number_of_times(file_server: str) -> None:
    assert OPEN.max_redirects == 5
    (fetched,) = fetch_files([_redirected(file_server, 5)], OPEN)
    assert (fetched.filename, fetched.data) == ("end", payload(3))
    with pytest.raises(Invalid) as caught:
        fetch_files([_redirected(file_server, 6)], OPEN)
    assert caught.value.code == "too_many_redirects"


def test_one_slow_file_runs_out_of_time(file_server: str) -> None:
    limits = FetchLimits(total_bytes=100, file_bytes=100, timeout=0.5, allow_private=True)
    with pytest.raises(Invalid) as caught:
        fetch_files([f"{file_server}/slow"], limits)
    assert caught.value.code == "attachment_timeout"


def test_the_deadline_covers_the_whole_fetch(file_server: str) -> None:
    # Each file alone is well inside the timeout; together they are not. The margins (0.3 s
    # each way) leave room for a loaded machine: with 0.2 s this failed under a full run.
    limits = FetchLimits(total_bytes=100, file_bytes=100, timeout=1.5, allow_private=True)
    urls = [f"{file_server}/slow?seconds=0.6&n={i}" for i in range(3)]
    assert len(fetch_files(urls[:2], limits)) == 2
    with pytest.raises(Invalid) as caught:
        fetch_files(urls, limits)
    assert caught.value.code == "attachment_timeout"
    assert caught.value.message.startswith("attachments[2]")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "http://", "not a url", "gopher://x"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(Invalid) as caught:
        fetch_files([url], OPEN)
    assert caught.value.code == "invalid_url"
