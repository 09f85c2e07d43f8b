from __future__ import annotations

import pytest

from frontdesk.core.shared.addresses import is_address, normalise_address
from frontdesk.core.shared.errors import Invalid


@pytest.mark.parametrize("good", ["a@b.co", "first.last+tag@Example.COM", "x_y-z@sub.domain.org"])
def test_accepts_ordinary_addresses(good: str) -> None:
    assert is_address(good)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "a@b",
        "a@@b.co",
        "a b@c.co",
        "a@b.co\r\nBcc: x@y.co",
        ".a@b.co",
        "a@-b.co",
        "a" * 250 + "@b.co",
    ],
)
def test_refuses_malformed_and_injected_addresses(bad: str) -> None:
    assert not is_address(bad)
    with pytest.raises(Invalid):
        normalise_address(bad)


def test_normalise_lowercases_only_the_domain() -> None:
    assert normalise_address("  Ann.Lee@Example.ORG ") == "Ann.Lee@example.org"
