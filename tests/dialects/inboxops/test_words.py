"""InboxOps status and priority words, both ways (api/inboxops/words.py): pure functions."""

from __future__ import annotations

import pytest

from frontdesk.api.inboxops import words
from frontdesk.core.shared.errors import Invalid
from frontdesk.core.tickets.records import Priority, Status


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (Status.NEW, "open"),
        (Status.REPLY, "open"),
        (Status.PENDING, "pending"),
        (Status.ON_HOLD, "on_hold"),
        (Status.SOLVED, "solved"),
        (Status.CLOSED, "closed"),
    ],
)
def test_each_core_status_has_its_word(status: Status, word: str) -> None:
    assert words.status_word(status) == word
    assert status in words.statuses(word)


def test_status_and_priority_words_are_read_trimmed_and_in_any_case() -> None:
    assert words.statuses(" OPEN ") == frozenset({Status.NEW, Status.REPLY})
    assert words.TARGET_OF["open"] is Status.REPLY
    assert words.priority(" High ") is Priority.HIGH


def test_an_unknown_status_word_names_the_field_and_the_words() -> None:
    with pytest.raises(Invalid) as raised:
        words.statuses("x" * 50, field="toStatus")
    assert (raised.value.code, raised.value.field) == ("invalid_status", "toStatus")
    assert raised.value.message == (
        f"toStatus must be one of open, pending, on_hold, solved, closed; got {'x' * 40!r}"
    )
    with pytest.raises(Invalid) as raised:
        words.statuses("done")
    assert raised.value.field == "status"


def test_an_unknown_priority_names_the_field_and_the_priorities() -> None:
    with pytest.raises(Invalid) as raised:
        words.priority("y" * 50)
    assert (raised.value.code, raised.value.field) == ("invalid_priority", "priority")
    names = ", ".join(p.value for p in Priority)
    assert raised.value.message == f"priority must be one of {names}; got {'y' * 40!r}"
    assert names == "low, normal, high, urgent"
