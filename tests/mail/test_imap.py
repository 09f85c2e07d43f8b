"""The IMAP poller against Debian's dovecot, started here on a free loopback port.

dovecot runs from a config in a temporary directory (passwd-file auth, maildir, no TLS).
Without dovecot these tests skip, except in strict mode (tests/conftest.py), where that
is a failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from frontdesk.mail.imap import ImapPoller
from frontdesk.mail.inbound import Inbound
from frontdesk.services import sealing
from frontdesk.storage.blobs import LocalBlobStore
from tests.faults import read_only_directory
from tests.mail.conftest import MailDesk, mail, mail_services
from tests.mail.dovecot import PASSWORD, Dovecot, running_dovecot


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def _connect_inbox(desk: MailDesk, client: TestClient, dovecot: Dovecot, folder: str) -> None:
    shown = dovecot.connect(client, desk.support.id, desk.tenant.headers(), folder)
    assert shown["password_set"] is True and PASSWORD not in str(shown)
    # At rest the password is encrypted: a database dump alone does not reveal it.
    with desk.services.store.read() as uow:
        stored = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert stored is not None and PASSWORD not in stored.password
    assert stored.password.startswith(sealing.PREFIX)


def _poller(desk: MailDesk) -> ImapPoller:
    own = mail_services(desk.services, allow_private_fetch=True)
    return ImapPoller(Inbound(own.store, own.blobs, own.settings))


def test_poller_imports_new_mail_once_and_marks_it_seen(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    folder = dovecot.create(f"T{desk.tenant.tag}")
    _connect_inbox(desk, client, dovecot, folder)
    tag = desk.tenant.tag
    dovecot.append(mail(to=desk.support.email, Message_ID=f"<a-{tag}@x.org>").as_bytes(), folder)
    dovecot.append(
        mail(
            sender="bo@example.org", to=desk.support.email, Message_ID=f"<b-{tag}@x.org>"
        ).as_bytes(),
        folder,
    )
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None
    poller = _poller(desk)
    assert poller.poll_recording(settings) == 2
    assert len(desk.tickets()) == 2 and dovecot.unseen(folder) == 0
    # The same mail again (a copy left unseen, as after a crash before \Seen): no double.
    dovecot.append(mail(to=desk.support.email, Message_ID=f"<a-{tag}@x.org>").as_bytes(), folder)
    assert poller.poll_recording(settings) == 1
    assert len(desk.tickets()) == 2 and len(desk.receipts()) == 2
    assert {row.source for row in desk.receipts()} == {"imap"}
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=desk.tenant.headers())
    assert shown.json()["last_error"] is None and shown.json()["last_polled"] is not None


def test_poller_keeps_going_past_mail_it_cannot_deliver(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    folder = f"Q{desk.tenant.tag}"
    conn = dovecot.client()
    conn.create(folder)
    conn.logout()
    _connect_inbox(desk, client, dovecot, folder)
    dovecot.append(b"To: x@example.org\r\nSubject: nobody sent this\r\n\r\n?\r\n", folder)
    dovecot.append(mail(to=desk.support.email).as_bytes(), folder)
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None
    assert _poller(desk).poll_recording(settings) == 2
    statuses = sorted(row.status for row in desk.receipts())
    assert statuses == ["delivered", "quarantined"] and len(desk.tickets()) == 1
    assert dovecot.unseen(folder) == 0


def test_a_storage_failure_leaves_the_mail_unseen_for_the_next_poll(
    desk: MailDesk, client: TestClient, dovecot: Dovecot, tmp_path: Path
) -> None:
    folder = f"F{desk.tenant.tag}"
    conn = dovecot.client()
    conn.create(folder)
    conn.logout()
    _connect_inbox(desk, client, dovecot, folder)
    dovecot.append(
        mail(to=desk.support.email, Message_ID=f"<f-{desk.tenant.tag}@x>").as_bytes(), folder
    )
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None
    own = mail_services(desk.services, allow_private_fetch=True)
    with read_only_directory(tmp_path / "ro") as read_only:  # the raw mail cannot be kept
        failing = ImapPoller(Inbound(own.store, LocalBlobStore(read_only), own.settings))
        assert failing.poll_recording(settings) == 0
    assert dovecot.unseen(folder) == 1  # not marked seen, not quarantined: fetched again
    assert desk.receipts() == [] and desk.tickets() == []
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=desk.tenant.headers())
    assert shown.json()["last_error"]
    assert _poller(desk).poll_recording(settings) == 1
    assert dovecot.unseen(folder) == 0 and len(desk.tickets()) == 1


def test_wrong_password_is_recorded_not_raised(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    _connect_inbox(desk, client, dovecot, "INBOX")
    client.put(
        f"/api/v1/inboxes/{desk.support.id}/imap",
        json={"host": "127.0.0.1", "port": dovecot.port, "tls": False, "username": "support",
              "password": "wrong-one"},
        headers=desk.tenant.headers(),
    )  # fmt: skip
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None
    assert _poller(desk).poll_recording(settings) == 0
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=desk.tenant.headers())
    assert "Authentication failed" in shown.json()["last_error"]


def test_private_hosts_are_refused_unless_allowed(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    _connect_inbox(desk, client, dovecot, "INBOX")
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None
    strict = ImapPoller(desk.inbound)  # the session's settings: private networks off limits
    assert strict.poll_recording(settings) == 0
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=desk.tenant.headers())
    assert "private" in shown.json()["last_error"]


def test_the_poller_connects_to_the_address_it_checked_not_a_second_answer(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    """DNS rebinding: the name is resolved once, checked, and that address is dialled. A
    second lookup (as imaplib would do with the name) gets a different answer here."""
    folder = f"R{desk.tenant.tag}"
    conn = dovecot.client()
    conn.create(folder)
    conn.logout()
    _connect_inbox(desk, client, dovecot, folder)
    response = client.put(
        f"/api/v1/inboxes/{desk.support.id}/imap",
        json={"host": "imap.rebinding.invalid", "port": dovecot.port, "tls": False,
              "username": dovecot.user, "password": PASSWORD, "folder": folder},
        headers=desk.tenant.headers(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    dovecot.append(mail(to=desk.support.email).as_bytes(), folder)
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"] if len(asked) == 1 else ["192.0.2.1"]

    own = mail_services(desk.services, allow_private_fetch=True)
    poller = ImapPoller(Inbound(own.store, own.blobs, own.settings), resolver=rebinding)
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None and settings.host == "imap.rebinding.invalid"
    assert poller.poll_recording(settings) == 1
    assert asked == ["imap.rebinding.invalid"]
    shown = client.get(f"/api/v1/inboxes/{desk.support.id}/imap", headers=desk.tenant.headers())
    assert shown.json()["last_error"] is None


def _dated(desk: MailDesk, sender: str, tag: str, days_ago: float) -> tuple[bytes, int]:
    """A mail from `sender` whose Date is `days_ago` days back; with that Date in ms."""
    stamp = int(time.time() - days_ago * 86_400)
    message = mail(sender=sender, to=desk.support.email, Message_ID=f"<{tag}@x.org>")
    message["Date"] = formatdate(stamp, usegmt=True)
    return message.as_bytes(), stamp * 1000


def test_a_first_poll_imports_the_backlog_and_later_polls_skip_stale_mail(
    desk: MailDesk, client: TestClient, dovecot: Dovecot
) -> None:
    folder = dovecot.create(f"B{desk.tenant.tag}")
    tag = desk.tenant.tag
    # The mailbox's backlog, unread when it is connected: one old mail, one of today.
    old, old_ms = _dated(desk, "old@example.org", f"old-{tag}", 3)
    fresh, _ = _dated(desk, "new@example.org", f"new-{tag}", 0.01)
    dovecot.append(old, folder)
    dovecot.append(fresh, folder)
    _connect_inbox(desk, client, dovecot, folder)
    poller = _poller(desk)
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None and settings.last_polled is None
    assert poller.poll_recording(settings) == 2
    # Imported: no auto reply to anyone, and the old mail's ticket keeps its own date.
    assert desk.outbox() == []
    assert len(desk.tickets()) == 2
    (old_ticket,) = [t for t in desk.tickets() if t.created == old_ms]
    assert [m.created for m in desk.messages(old_ticket.id)] == [old_ms]
    # Later polls: a new mail gets its auto reply; one dated two days ago does not, and
    # its ticket says why.
    with desk.services.store.read() as uow:
        settings = uow.mail.get_imap(desk.tenant.id, desk.support.id)
    assert settings is not None and settings.last_polled is not None
    later, _ = _dated(desk, "later@example.org", f"later-{tag}", 0.01)
    stale, stale_ms = _dated(desk, "stale@example.org", f"stale-{tag}", 2)
    dovecot.append(later, folder)
    dovecot.append(stale, folder)
    assert poller.poll_recording(settings) == 2
    assert [row.to_addr for row in desk.outbox()] == ["later@example.org"]
    (stale_ticket,) = [t for t in desk.tickets() if t.created == stale_ms]
    (line,) = desk.log_lines(stale_ticket.id)
    assert line.startswith("No auto reply: the mail is older than 24 h (dated ")
