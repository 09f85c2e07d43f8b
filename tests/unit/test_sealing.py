"""Sealed secrets: they round-trip under the same key and nowhere else."""

from __future__ import annotations

import pytest

from frontdesk.services import sealing


def test_a_sealed_value_opens_with_the_same_key_and_purpose() -> None:
    sealed = sealing.seal("hunter2", "key-one", "imap-password")
    assert "hunter2" not in sealed and sealed.startswith(sealing.PREFIX)
    assert sealing.unseal(sealed, "key-one", "imap-password") == "hunter2"


def test_sealing_twice_gives_different_text() -> None:
    assert sealing.seal("same", "k", "p") != sealing.seal("same", "k", "p")


@pytest.mark.parametrize(("key", "purpose"), [("key-two", "imap-password"), ("key-one", "other")])
def test_another_key_or_purpose_cannot_open_it(key: str, purpose: str) -> None:
    sealed = sealing.seal("hunter2", "key-one", "imap-password")
    with pytest.raises(sealing.SealBroken):
        sealing.unseal(sealed, key, purpose)


def test_a_tampered_value_is_refused() -> None:
    sealed = sealing.seal("hunter2", "key-one", "imap-password")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(sealing.SealBroken):
        sealing.unseal(flipped, "key-one", "imap-password")


def test_a_value_stored_before_sealing_is_read_as_it_is() -> None:
    assert sealing.unseal("plain-old", "k", "imap-password") == "plain-old"
