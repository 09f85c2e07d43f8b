"""An inbox's own outbound relay: each inbox's mail reaches its own relay (real aiosmtpd
sinks, one of them asking for a password), the rest the installation's, and mail with no
relay at all waits without using up its attempts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.identity import accounts
from frontdesk.core.identity.records import Inbox
from frontdesk.mail.inbound import SMTP
from frontdesk.mail.outbound import OutboxWorker, Relay
from tests.mail.conftest import MailDesk, RelayPeer, drain, free_port, mail, mail_services
from tests.mail.oauth_peers import PasswordRelay

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def sinks() -> Iterator[tuple[RelayPeer, PasswordRelay, RelayPeer]]:
    """The support inbox's relay, the billing inbox's (with a password), the global one."""
    peers = (RelayPeer(free_port()), PasswordRelay(free_port()), RelayPeer(free_port()))
    for peer in peers:
        peer.start()
    yield peers
    for peer in peers:
        peer.stop()


def _inbox(desk: MailDesk, name: str) -> Inbox:
    with desk.services.store.write() as uow:
        return accounts.create_inbox(
            uow, desk.tenant.actor, name, desk.tenant.address(name.lower()), "We have it."
        )


def _set_relay(
    desk: MailDesk, client: TestClient, inbox: Inbox, peer: RelayPeer, **login: str
) -> dict[str, object]:
    body = {"host": "127.0.0.1", "port": peer.port, "security": "none", "auth": "none", **login}
    response = client.put(
        f"/api/v1/inboxes/{inbox.id}/relay", json=body, headers=desk.tenant.headers()
    )
    assert response.status_code == 200, response.text
    shown: dict[str, object] = response.json()
    return shown


def _writes_to(desk: MailDesk, inbox: Inbox, sender: str) -> None:
    raw = mail(sender=sender, to=inbox.email, Message_ID=f"<{sender}-{desk.tenant.tag}>")
    (outcome,) = desk.inbound.deliver(raw.as_bytes(), [inbox.email], source=SMTP)
    assert outcome.ticket_id is not None


def _worker(desk: MailDesk, relay: RelayPeer | None, **changes: object) -> OutboxWorker:
    settings: dict[str, object] = {
        "relay_host": "127.0.0.1" if relay else "",
        "relay_port": relay.port if relay else 25,
        "relay_timeout_seconds": 5.0,
        "mail_retry_base_seconds": 600.0,
        "allow_private_fetch": True,
        **changes,
    }
    own = mail_services(desk.services, **settings)
    return OutboxWorker(own.store, own.blobs, own.settings, Relay.from_settings(own.settings))


def test_each_inbox_mail_reaches_its_own_relay_and_the_rest_the_global_one(
    desk: MailDesk, client: TestClient, sinks: tuple[RelayPeer, PasswordRelay, RelayPeer]
) -> None:
    own, billing_relay, global_relay = sinks
    billing = _inbox(desk, "Billing")
    other = _inbox(desk, "Other")
    _set_relay(desk, client, desk.support, own)
    shown = _set_relay(
        desk,
        client,
        billing,
        billing_relay,
        auth="password",
        username=billing_relay.user,
        password=billing_relay.password,
    )
    assert shown["password_set"] is True and billing_relay.password not in str(shown)
    _writes_to(desk, desk.support, "ann@example.org")
    _writes_to(desk, billing, "bo@example.org")
    _writes_to(desk, other, "cy@example.org")
    drain(_worker(desk, global_relay))
    assert len(own.to("ann@example.org", desk.support.email)) == 1
    assert len(billing_relay.to("bo@example.org", billing.email)) == 1
    assert len(global_relay.to("cy@example.org", other.email)) == 1
    # Nothing crossed over: each relay saw only its inbox's mail.
    assert own.to("bo@example.org", billing.email) == own.to("cy@example.org", other.email) == []
    assert global_relay.to("ann@example.org", desk.support.email) == []
    assert [row.status for row in desk.outbox()] == ["sent", "sent", "sent"]


def test_a_wrong_relay_password_fails_the_mail_with_the_relays_answer(
    desk: MailDesk, client: TestClient, sinks: tuple[RelayPeer, PasswordRelay, RelayPeer]
) -> None:
    _own, billing_relay, _global = sinks
    _set_relay(
        desk, client, desk.support, billing_relay, auth="password", username="x", password="no"
    )
    _writes_to(desk, desk.support, "dee@example.org")
    drain(_worker(desk, None))
    (row,) = desk.outbox()
    assert row.status == "failed" and row.last_error.startswith("535")
    assert billing_relay.received == []


def test_mail_with_no_relay_waits_and_a_private_relay_is_refused_unless_allowed(
    desk: MailDesk, client: TestClient, sinks: tuple[RelayPeer, PasswordRelay, RelayPeer]
) -> None:
    own, _billing, _global = sinks
    _writes_to(desk, desk.support, "eve@example.org")
    # (No wait between tries here, so the second worker below finds the row due.)
    drain(_worker(desk, None, mail_retry_base_seconds=0.0))
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.last_error.startswith("no relay")
    # The inbox gets a relay on a loopback address, which an account admin may not name
    # unless the operator allows private networks.
    _set_relay(desk, client, desk.support, own)
    drain(_worker(desk, None, allow_private_fetch=False, mail_retry_base_seconds=0.0))
    (row,) = desk.outbox()
    assert (row.status, row.attempts) == ("queued", 0)
    assert "private or local network" in row.last_error and own.received == []
