from __future__ import annotations

import pytest

from frontdesk.core.shared.addresses import is_address, normalise_address, normalise_addresses
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


def test_a_refused_address_names_its_field_and_shows_at_most_80_characters() -> None:
    with pytest.raises(Invalid) as raised:
        normalise_address("plain")
    assert (raised.value.code, raised.value.field) == ("invalid_email", "email")
    assert raised.value.message == "Not a valid e-mail address: 'plain'"
    long = "b" * 80 + "c" * 20
    with pytest.raises(Invalid) as raised:
        normalise_address(long, field="from")
    assert raised.value.field == "from"
    assert raised.value.message == f"Not a valid e-mail address: {'b' * 80!r}"


def test_a_list_of_addresses_is_normalised_each_and_refused_by_its_field() -> None:
    assert normalise_addresses(["A@X.ORG", " b@Y.org"], field="cc") == ("A@x.org", "b@y.org")
    with pytest.raises(Invalid) as raised:
        normalise_addresses(["a@x.org", "nope"], field="cc")
    assert raised.value.field == "cc"
    assert "'nope'" in raised.value.message


def test_an_address_of_254_characters_is_taken_and_one_more_is_not() -> None:
    longest = "a" * 249 + "@b.co"
    assert len(longest) == 254
    assert is_address(longest)
    assert normalise_address(longest) == longest
    assert not is_address("a" + longest)
