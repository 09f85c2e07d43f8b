"""Pure rules of outgoing mail: the From name, when an OAuth access token is refreshed."""

from __future__ import annotations

import pytest

from frontdesk.core.mail import access_due
from frontdesk.core.mail._sending import REFRESH_MARGIN_MS
from frontdesk.core.mail.outbox import display_name
from frontdesk.core.mail.records import OAuthGrant


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        ("Agnes Berg", "Agnes Berg (Support)"),
        ("  Agnes  ", "Agnes (Support)"),
        ("Support", "Support"),  # an agent named like the inbox: said once
        ("", "Support"),
        (None, "Support"),  # an auto reply, a notification: the inbox alone
    ],
)
def test_the_from_name_shows_the_agent_and_the_inbox(agent: str | None, shown: str) -> None:
    assert display_name("Support", agent) == shown


def _grant(token: str, expires: int | None) -> OAuthGrant:
    return OAuthGrant(
        inbox_id=1, account_id=1, token_url="https://t", client_id="c", scope="",
        access_expires=expires, last_refreshed=None, last_error=None, created=0, updated=0,
        access_token=token,
    )  # fmt: skip


def test_an_access_token_is_refreshed_a_margin_before_it_expires() -> None:
    now = 1_000_000_000
    assert access_due(_grant("", None), now)  # none yet
    assert access_due(_grant("sealed", None), now)  # no expiry known
    assert not access_due(_grant("sealed", now + REFRESH_MARGIN_MS + 1), now)
    assert access_due(_grant("sealed", now + REFRESH_MARGIN_MS), now)
    assert access_due(_grant("sealed", now - 1), now)
