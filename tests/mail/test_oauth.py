"""XOAUTH2 for the IMAP poller and an inbox's own relay, against real peers on loopback:
a token server (refresh grant, introspection), Debian's dovecot with its oauth2 passdb,
and an aiosmtpd relay that takes AUTH XOAUTH2 only (tests/mail/oauth_peers.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.mail.records import ImapSettings
from frontdesk.mail.imap import ImapPoller
from frontdesk.mail.inbound import SMTP, Inbound
from frontdesk.mail.outbound import OutboxWorker
from frontdesk.services import imap, sealing
from frontdesk.services.oauth import TokenSource
from frontdesk.services.sealing import OAUTH_GRANT
from tests.conftest import Tenant
from tests.mail.conftest import MailDesk, free_port, mail, mail_services
from tests.mail.dovecot import Dovecot, running_dovecot
from tests.mail.oauth_peers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TokenServer,
    XOAuthRelay,
    running_token_server,
)

# The test relays take AUTH over plain loopback connections; aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def tokens() -> Iterator[TokenServer]:
    with running_token_server() as server:
        yield server


@pytest.fixture(scope="module")
def dovecot(tokens: TokenServer) -> Iterator[Dovecot]:
    with running_dovecot(f"{tokens.url}/introspect") as server:
        yield server


@pytest.fixture
def xrelay(tokens: TokenServer) -> Iterator[XOAuthRelay]:
    peer = XOAuthRelay(free_port(), tokens=tokens)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture(autouse=True)
def fresh_token_server(tokens: TokenServer) -> Iterator[None]:
    tokens.lifetime, tokens.rotate = 3600, False
    yield
    tokens.lifetime, tokens.rotate = 3600, False


def _grant(desk: MailDesk, client: TestClient, tokens: TokenServer, user: str) -> str:
    """Store the inbox's OAuth grant through the API, as an admin would; its refresh token."""
    refresh = tokens.grant(user)
    response = client.put(
        f"/api/v1/inboxes/{desk.support.id}/oauth",
        json={
            "token_url": f"{tokens.url}/token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh,
            "scope": "https://mail.example/.default offline_access",
        },
        headers=desk.tenant.headers(),
    )
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["client_secret_set"] is True and shown["refresh_token_set"] is True
    assert CLIENT_SECRET not in response.text and refresh not in response.text
    with desk.services.store.read() as uow:
        stored = uow.mail.get_oauth(desk.support.id)
    assert stored is not None
    # Sealed at rest, like IMAP passwords: a database dump alone does not reveal them.
    assert refresh not in stored.refresh_token and CLIENT_SECRET not in stored.client_secret
    secret = desk.services.settings.secret_key
    assert sealing.unseal(stored.refresh_token, secret, OAUTH_GRANT) == refresh
    return refresh


def _connect_imap(desk: MailDesk, client: TestClient, dovecot: Dovecot, folder: str) -> None:
    shown = dovecot.connect(client, desk.support.id, desk.tenant.headers(), folder, auth="oauth2")
    assert shown["auth"] == "oauth2" and shown["password_set"] is False


def _imap(desk: MailDesk) -> ImapSettings:
    with desk.services.store.read() as uow:
        found = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert found is not None
    return found


def _poller(desk: MailDesk) -> ImapPoller:
    own = mail_services(desk.services, allow_private_fetch=True)
    return ImapPoller(Inbound(own.store, own.blobs, own.settings))


def _put(dovecot: Dovecot, folder: str, desk: MailDesk, tag: str) -> None:
    raw = mail(to=desk.support.email, Message_ID=f"<{tag}-{desk.tenant.tag}@example.org>")
    dovecot.append(raw.as_bytes(), folder)


def test_the_poller_logs_in_by_xoauth2_and_keeps_a_fresh_token(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tokens: TokenServer
) -> None:
    folder = dovecot.create(f"O{desk.tenant.tag}")
    _grant(desk, client, tokens, dovecot.user)
    _connect_imap(desk, client, dovecot, folder)
    poller = _poller(desk)
    asked = tokens.grants_asked
    _put(dovecot, folder, desk, "a")
    assert poller.poll_recording(_imap(desk)) == 1
    assert tokens.grants_asked == asked + 1  # no access token yet: one refresh
    _put(dovecot, folder, desk, "b")
    assert poller.poll_recording(_imap(desk)) == 1
    assert tokens.grants_asked == asked + 1  # still fresh: reused, not refreshed
    assert dovecot.unseen(folder) == 0
    assert _imap(desk).last_error is None
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/oauth", headers=desk.tenant.headers())
    assert shown.json()["last_error"] is None and shown.json()["last_refreshed"] is not None


def test_a_token_about_to_expire_is_refreshed_before_it_is_used(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tokens: TokenServer
) -> None:
    tokens.lifetime = 60  # inside the refresh margin (two minutes): never used as it is
    folder = dovecot.create(f"E{desk.tenant.tag}")
    _grant(desk, client, tokens, dovecot.user)
    _connect_imap(desk, client, dovecot, folder)
    poller = _poller(desk)
    asked = tokens.grants_asked
    for round_ in range(2):
        _put(dovecot, folder, desk, f"e{round_}")
        assert poller.poll_recording(_imap(desk)) == 1
    assert tokens.grants_asked == asked + 2


def test_a_token_the_server_refuses_is_refreshed_once_and_the_poll_goes_on(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tokens: TokenServer
) -> None:
    tokens.rotate = True  # as Microsoft does: each refresh brings a new refresh token
    folder = dovecot.create(f"R{desk.tenant.tag}")
    _grant(desk, client, tokens, dovecot.user)
    _connect_imap(desk, client, dovecot, folder)
    poller = _poller(desk)
    _put(dovecot, folder, desk, "r1")
    assert poller.poll_recording(_imap(desk)) == 1
    tokens.expire_access_tokens()  # ours still looks fresh for an hour
    asked = tokens.grants_asked
    _put(dovecot, folder, desk, "r2")
    assert poller.poll_recording(_imap(desk)) == 1
    assert tokens.grants_asked == asked + 1
    assert _imap(desk).last_error is None
    assert len(desk.receipts()) == 2


def test_revoked_consent_is_a_clear_error_in_the_inbox_status(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tokens: TokenServer
) -> None:
    folder = dovecot.create(f"V{desk.tenant.tag}")
    refresh = _grant(desk, client, tokens, dovecot.user)
    _connect_imap(desk, client, dovecot, folder)
    poller = _poller(desk)
    _put(dovecot, folder, desk, "v1")
    assert poller.poll_recording(_imap(desk)) == 1
    with tokens.lock:
        tokens.refresh_tokens.pop(refresh, None)  # this grant only: other tests keep theirs
    tokens.expire_access_tokens()
    _put(dovecot, folder, desk, "v2")
    assert poller.poll_recording(_imap(desk)) == 0
    assert dovecot.unseen(folder) == 1  # left for the poll after the admin fixes it
    headers = desk.tenant.headers()
    status = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=headers).json()
    assert "invalid_grant" in status["last_error"]
    assert "authorise the app again" in status["last_error"]
    grant = client.get(f"/api/v1/inboxes/{desk.support.id}/oauth", headers=headers).json()
    assert "invalid_grant" in grant["last_error"] and grant["access_expires"] is None
    # A new consent fixes it: the next poll takes the waiting mail.
    _grant(desk, client, tokens, dovecot.user)
    assert poller.poll_recording(_imap(desk)) == 1
    assert _imap(desk).last_error is None


def _relay_by_oauth(desk: MailDesk, client: TestClient, relay: XOAuthRelay) -> None:
    response = client.put(
        f"/api/v1/inboxes/{desk.support.id}/relay",
        json={
            "host": "127.0.0.1",
            "port": relay.port,
            "security": "none",
            "auth": "oauth2",
            "username": "support",
        },
        headers=desk.tenant.headers(),
    )
    assert response.status_code == 200, response.text


def _worker(desk: MailDesk) -> OutboxWorker:
    """A worker with no installation-wide relay: only inboxes' own relays send."""
    own = mail_services(
        desk.services,
        allow_private_fetch=True,
        relay_host="",
        relay_timeout_seconds=5.0,
        mail_retry_base_seconds=600.0,
    )
    return OutboxWorker(own.store, own.blobs, own.settings, None)


def _drain(worker: OutboxWorker) -> None:
    for _round in range(20):
        if asyncio.run(worker.run_once()) == 0:
            return


def _customer_writes(desk: MailDesk, tag: str) -> None:
    """A new customer writes in: the ticket's auto reply leaves from the support inbox."""
    raw = mail(
        sender=f"{tag}@example.org",
        to=desk.support.email,
        Message_ID=f"<{tag}-{desk.tenant.tag}@example.org>",
    )
    (outcome,) = desk.inbound.deliver(raw.as_bytes(), [desk.support.email], source=SMTP)
    assert outcome.ticket_id is not None


def test_an_inbox_relay_takes_its_mail_by_xoauth2_and_refreshes_a_refused_token(
    desk: MailDesk, client: TestClient, tokens: TokenServer, xrelay: XOAuthRelay
) -> None:
    _grant(desk, client, tokens, "support")
    _relay_by_oauth(desk, client, xrelay)
    worker = _worker(desk)
    _customer_writes(desk, "s1")
    _drain(worker)
    assert len(xrelay.to("s1@example.org", desk.support.email)) == 1
    assert xrelay.logins == ["support"]
    tokens.expire_access_tokens()
    asked = tokens.grants_asked
    _customer_writes(desk, "s2")
    _drain(worker)
    assert tokens.grants_asked == asked + 1 and xrelay.refusals == 1
    assert [row.status for row in desk.outbox()] == ["sent", "sent"]


def test_an_inbox_relay_whose_consent_was_revoked_holds_the_mail_with_the_reason(
    desk: MailDesk, client: TestClient, tokens: TokenServer, xrelay: XOAuthRelay
) -> None:
    refresh = _grant(desk, client, tokens, "support")
    _relay_by_oauth(desk, client, xrelay)
    with tokens.lock:
        tokens.refresh_tokens.pop(refresh, None)
    _customer_writes(desk, "h1")
    _drain(_worker(desk))
    (row,) = desk.outbox()
    assert row.status == "queued" and row.attempts == 0  # waiting does not use up tries
    assert "invalid_grant" in row.last_error
    assert xrelay.received == [] and xrelay.logins == []


def test_oauth_and_relay_settings_refuse_bad_input_and_other_accounts(
    desk: MailDesk, client: TestClient, other_tenant: Tenant
) -> None:
    headers = desk.tenant.headers()
    base = f"/api/v1/inboxes/{desk.support.id}"
    bad_url = {"token_url": "ftp://x", "client_id": "a", "refresh_token": "r"}
    assert client.put(f"{base}/oauth", json=bad_url, headers=headers).status_code == 422
    no_token = {"token_url": "https://login.example/token", "client_id": "a"}
    answer = client.put(f"{base}/oauth", json=no_token, headers=headers)
    assert answer.status_code == 422 and "refresh_token" in answer.text
    no_user = {"host": "smtp.example.com", "auth": "oauth2"}
    assert client.put(f"{base}/relay", json=no_user, headers=headers).status_code == 422
    # A control character (here NUL) is the field's error (PostgreSQL would refuse a
    # NUL in text, as a 500, were it stored).
    nul_user = {"host": "smtp.example.com", "auth": "none", "username": "a\x00b"}
    assert client.put(f"{base}/relay", json=nul_user, headers=headers).status_code == 422
    nul_scope = {**no_token, "refresh_token": "r", "scope": "mail\x00"}
    assert client.put(f"{base}/oauth", json=nul_scope, headers=headers).status_code == 422
    bad_mode = {"host": "smtp.example.com", "security": "ssl3", "auth": "none"}
    assert client.put(f"{base}/relay", json=bad_mode, headers=headers).status_code == 422
    assert client.get(f"{base}/oauth", headers=headers).status_code == 404
    # Microsoft's refresh tokens are long: a few thousand characters are taken.
    long_token = {**no_token, "refresh_token": "r" * 4000}
    assert client.put(f"{base}/oauth", json=long_token, headers=headers).status_code == 200
    too_long = {**no_token, "refresh_token": "r" * 10_001}
    assert client.put(f"{base}/oauth", json=too_long, headers=headers).status_code == 422
    assert client.get(f"{base}/relay", headers=headers).status_code == 404
    # Another account's inbox is not there at all, whatever is asked of it.
    fine = {"host": "smtp.example.com", "auth": "none"}
    assert client.put(f"{base}/relay", json=fine, headers=headers).status_code == 200
    other = other_tenant.headers()
    assert client.get(f"{base}/relay", headers=other).status_code == 404
    assert client.put(f"{base}/relay", json=fine, headers=other).status_code == 404
    assert client.delete(f"{base}/relay", headers=other).status_code == 404
    assert client.delete(f"{base}/relay", headers=headers).status_code == 204


def test_test_connection_signs_in_to_an_oauth_mailbox_by_xoauth2(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tokens: TokenServer
) -> None:
    """The settings screen's "test connection" signs in the way the poller does: by
    XOAUTH2 for an OAuth mailbox (it tried the password before, and always failed)."""
    folder = dovecot.create(f"T{desk.tenant.tag}")
    refresh = _grant(desk, client, tokens, dovecot.user)
    _connect_imap(desk, client, dovecot, folder)
    own = mail_services(desk.services, allow_private_fetch=True)
    source = TokenSource(own.store, own.settings)
    found = imap.check(_imap(desk), own.settings.secret_key, source, allow_private=True)
    assert (found.ok, found.step) == (True, "done") and folder in found.said
    with tokens.lock:
        tokens.refresh_tokens.pop(refresh, None)  # consent revoked
    tokens.expire_access_tokens()
    refused = imap.check(
        _imap(desk), own.settings.secret_key, TokenSource(own.store, own.settings),
        allow_private=True,
    )  # fmt: skip
    # The server refuses the token it no longer takes, and the page shows its words.
    assert (refused.ok, refused.step) == (False, "login")
    assert "AUTHENTICATIONFAILED" in refused.said
