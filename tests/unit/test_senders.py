"""Authentication-Results as real MTAs write them, and the sender rule built on them."""

from __future__ import annotations

import pytest

from frontdesk.mail.senders import Results, aligned, trusted_results, verified

OPENDKIM = (
    "mx.example.net; dkim=pass (2048-bit key; unprotected) header.d=example.org "
    'header.i=@example.org header.a=rsa-sha256 header.s=s1 header.b="AbCd1234"'
)
OPENDMARC = "mx.example.net; dmarc=pass (p=reject dis=none) header.from=example.org"
POLICYD_SPF = "mx.example.net; spf=pass (sender SPF authorized) smtp.mailfrom=bounce@example.org"
GMAIL = (
    "mx.google.com;       dkim=pass header.i=@example.org header.s=s1 header.b=AbC;"
    "       spf=pass (google.com: domain of a@example.org designates 192.0.2.1 as permitted"
    " sender) smtp.mailfrom=a@example.org;       dmarc=pass (p=NONE sp=NONE dis=NONE)"
    " header.from=example.org"
)


def test_results_of_the_configured_authserv_id_only() -> None:
    found = trusted_results(
        [OPENDKIM, "mx.evil.test; dkim=fail header.d=example.org"], "MX.example.net"
    )
    assert found.of("dkim") == [
        (
            "pass",
            {
                "header.d": "example.org",
                "header.i": "@example.org",
                "header.a": "rsa-sha256",
                "header.s": "s1",
                "header.b": "abcd1234",
            },
        )
    ]
    assert trusted_results([OPENDKIM], "").results == {}  # nothing configured: trust none


def test_one_header_with_several_methods_and_comments() -> None:
    found = trusted_results([GMAIL], "mx.google.com")
    assert [r for r, _p in found.of("spf")] == ["pass"]
    assert found.of("dmarc")[0][1] == {"header.from": "example.org"}
    assert found.of("dkim")[0][1]["header.i"] == "@example.org"


@pytest.mark.parametrize(
    ("headers", "envelope", "expected"),
    [
        ([OPENDKIM], "x@esp.test", True),
        ([OPENDMARC], "x@esp.test", True),
        ([POLICYD_SPF], "x@esp.test", True),
        (["mx.example.net; dmarc=fail header.from=example.org"], "a@example.org", False),
        ([], "a@example.org", True),
        ([], "a@mail.example.org", True),  # a subdomain is aligned (relaxed)
        ([], "a@example.org.evil.test", False),
        ([], "", False),  # the null sender
        ([], None, True),  # no envelope at all (IMAP): nothing to compare
        (["mx.example.net; dmarc=fail"], None, False),
    ],
)
def test_the_sender_rule(headers: list[str], envelope: str | None, expected: bool) -> None:
    results = trusted_results(headers, "mx.example.net")
    assert verified("a@example.org", envelope, results) is expected


def test_alignment_is_by_whole_labels() -> None:
    assert aligned("example.org", "EXAMPLE.org".lower())
    assert not aligned("notexample.org", "example.org")
    assert not aligned(None, "example.org")
    assert verified(None, "a@example.org", Results()) is False
